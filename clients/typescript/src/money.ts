// google.type.Money as exact decimal text: units and nanos, never a float.
import { create } from "@bufbuild/protobuf";
import { MoneySchema, type Money } from "./gen/google/type/money_pb.js";

const NANOS = 1_000_000_000n;

/** "12.50" (at least two places, no digit lost); an unset amount is "0.00". */
export function moneyText(money: Money | undefined): string {
  const total = (money?.units ?? 0n) * NANOS + BigInt(money?.nanos ?? 0);
  const magnitude = total < 0n ? -total : total;
  const fraction = (magnitude % NANOS).toString().padStart(9, "0").replace(/0+$/, "").padEnd(2, "0");
  return `${total < 0n ? "-" : ""}${magnitude / NANOS}.${fraction}`;
}

/** money("12.50") is 12 units and 500,000,000 nanos of USD. */
export function money(amount: string, currencyCode = "USD"): Money {
  const match = /^(-?)(\d+)(?:\.(\d{1,9}))?$/.exec(amount.trim());
  if (!match) throw new RangeError(`not a decimal amount: ${JSON.stringify(amount)}`);
  const [, sign, whole, fraction = ""] = match;
  const factor = sign ? -1n : 1n;
  return create(MoneySchema, {
    currencyCode,
    units: factor * BigInt(whole!),
    nanos: Number(factor * BigInt(fraction.padEnd(9, "0"))),
  });
}
