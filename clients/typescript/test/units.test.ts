// The wrapper's pure parts, without a server: exact money text, the reconnect backoff and the
// retry rule.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { backoffDelayMs, DEFAULT_BACKOFF, isConnectionFailure, money, moneyText } from "../src/index.js";
import { ErrorInfoSchema } from "../src/gen/google/rpc/error_details_pb.js";

test("money text is exact both ways, units and nanos sharing their sign", () => {
  for (const text of ["12.50", "-111.95", "0.00", "-0.05", "0.125", "9223372036.854775807"]) {
    assert.equal(moneyText(money(text)), text.includes(".") ? text : `${text}.00`);
  }
  assert.deepEqual([money("-0.05").units, money("-0.05").nanos], [0n, -50_000_000]);
  assert.deepEqual([money("-3.5").units, money("-3.5").nanos], [-3n, -500_000_000]);
  assert.equal(money("7").currencyCode, "USD");
  assert.equal(moneyText(undefined), "0.00");
  assert.throws(() => money("1.2345678901"), RangeError); // more than nanos can hold
  assert.throws(() => money("12,50"), RangeError);
});

test("reconnect delays grow, stop at the cap and are jittered down, never up", () => {
  const noJitter = () => 0;
  assert.deepEqual(
    [0, 1, 2, 3, 10, 1000].map((attempt) => backoffDelayMs(DEFAULT_BACKOFF, attempt, noJitter)),
    [200, 400, 800, 1600, 15_000, 15_000],
  );
  assert.equal(backoffDelayMs(DEFAULT_BACKOFF, 10, () => 1), 7_500); // at most half off
});

test("only connection-level failures are retried: never the server's own statuses", () => {
  const withInfo = (code: Code) =>
    new ConnectError("from the server", code, undefined, [
      { desc: ErrorInfoSchema, value: { reason: "SOME_REASON", domain: "inventory.v1" } },
    ]);
  assert.equal(isConnectionFailure(new ConnectError("socket closed", Code.Unavailable)), true);
  assert.equal(isConnectionFailure(new ConnectError("stream reset", Code.Internal)), true);
  assert.equal(isConnectionFailure(new ConnectError("protocol error", Code.Unknown)), true);
  assert.equal(isConnectionFailure(withInfo(Code.Unavailable)), true); // DATABASE_UNAVAILABLE
  assert.equal(isConnectionFailure(withInfo(Code.Internal)), false); // a bug: not repeated
  assert.equal(isConnectionFailure(withInfo(Code.ResourceExhausted)), false);
  assert.equal(isConnectionFailure(new ConnectError("late", Code.DeadlineExceeded)), false);
  assert.equal(isConnectionFailure(new Error("not a call")), false);
});
