// The TypeScript ScannerSession against the live server: a stream whose connection is cut,
// reset or whose server dies mid-shift resumes, resends what has no ack, and ends with exact
// totals; its own abort and a bad token end it for good.
import assert from "node:assert/strict";
import { constants as h2 } from "node:http2";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Code } from "@connectrpc/connect";
import {
  all,
  bySku,
  CountMode,
  createInventoryClient,
  InventoryCountType,
  money,
  ScannerSession,
  SessionFailed,
  statusDetails,
  type CountEntryAck,
  type CountEntryInit,
  type InventoryClient,
  type ScannerSessionOptions,
} from "../src/index.js";
import { GrpcProxy } from "./support/grpc-proxy.js";
import { LiveServer, makeDataDir, token } from "./support/server.js";

const FAST_RETRY = { initialMs: 50, multiplier: 2, maximumMs: 500 };

let server: LiveServer;
let proxy: GrpcProxy;
let dataDir: ReturnType<typeof makeDataDir>;
let countId: string;

before(async () => {
  dataDir = makeDataDir();
  server = await LiveServer.start(dataDir.path);
  proxy = await GrpcProxy.start(server.address);
  countId = await startCount(server.address);
});

after(async () => {
  await proxy?.close();
  await server?.stop();
  dataDir?.remove();
});

function as(address: string, role: "staff" | "manager" | "admin"): InventoryClient {
  return createInventoryClient({ address, token: token(`${role}-1`, role) });
}

async function startCount(address: string): Promise<string> {
  const { inventoryCount } = await as(address, "manager").counts.startInventoryCount({
    name: "Night shift",
    type: InventoryCountType.CYCLE,
  });
  return inventoryCount!.id;
}

async function createProduct(address: string, sku: string): Promise<void> {
  await as(address, "admin").catalog.createProduct({
    product: { sku, name: sku, unitCost: money("1.00"), active: true },
    openingQuantity: 100n,
  });
}

/** Scans in ADD mode of 1 to 4 units each, on the given SKUs in turn. */
function scans(inventoryCountId: string, skus: string[], n: number, from = 0): CountEntryInit[] {
  return Array.from({ length: n }, (_, i) => ({
    inventoryCountId,
    product: bySku(skus[(from + i) % skus.length]!),
    quantity: BigInt(((from + i) % 4) + 1),
    mode: CountMode.ADD,
  }));
}

function totals(entries: CountEntryInit[]): Map<string, bigint> {
  const sums = new Map<string, bigint>();
  for (const entry of entries) {
    const sku = entry.product!.selector!.value as string;
    sums.set(sku, (sums.get(sku) ?? 0n) + BigInt(entry.quantity ?? 0n));
  }
  return sums;
}

/** The count's counted quantities per SKU, read straight from the server. */
async function countedBySku(address: string, inventoryCountId: string, skus: string[]): Promise<Map<string, bigint>> {
  const lines = await all(as(address, "staff").counts.listCountItems, { inventoryCountId, pageSize: 500 }, "items");
  return new Map(lines.filter((line) => skus.includes(line.sku)).map((line) => [line.sku, line.countedQuantity]));
}

/** Waits (bounded) until `condition` holds. */
async function until(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await sleep(25);
  }
}

/** A staff scanner's session with a fast retry; `reasons` collects why each stream ended. */
function session(address: string, options: Partial<ScannerSessionOptions> = {}) {
  const reasons: string[] = [];
  const scanner = new ScannerSession(as(address, "staff").counts, {
    deviceId: "ts-scanner",
    backoff: FAST_RETRY,
    onReconnect: (_attempt, _delay, reason) => reasons.push(reason),
    ...options,
  }).start();
  return { scanner, reasons };
}

test("acks lost on the way are resent after a reset and applied once", async () => {
  const skus = ["LOST-1", "LOST-2", "LOST-3"];
  for (const sku of skus) await createProduct(server.address, sku);
  const { scanner, reasons } = session(proxy.address, { maxEntriesPerMessage: 10 });
  const entries = scans(countId, skus, 90);

  await scanner.putMany(entries.slice(0, 30));
  await scanner.drain();
  assert.equal(scanner.stats.acked, 30);

  // The balancer keeps the server's answers: the server stores 30 more, the scanner hears nothing.
  proxy.holdResponses = true;
  await scanner.putMany(entries.slice(30, 60));
  const stored = totals(entries.slice(0, 60));
  await until("the server stored 60 entries", async () => {
    const counted = await countedBySku(server.address, countId, skus);
    return skus.every((sku) => counted.get(sku) === stored.get(sku));
  });
  assert.equal(scanner.stats.acked, 30);
  proxy.holdResponses = false;
  proxy.resetStreams(h2.NGHTTP2_CANCEL); // the client sees CANCELLED

  await scanner.putMany(entries.slice(60));
  await scanner.close();

  assert.equal(scanner.stats.acked, 90);
  assert.equal(scanner.stats.rejected, 0);
  // The 30 stored without an ack went again: stored once, acked as duplicates. (Entries written
  // into the stream as it was reset went again too, but had not been stored.)
  assert.equal(scanner.stats.duplicates, 30);
  assert.ok(scanner.stats.resent >= 30);
  assert.ok(reasons.some((reason) => reason.startsWith("Canceled")), reasons.join("; "));
  assert.deepEqual(await countedBySku(server.address, countId, skus), totals(entries));
});

test("streams reset with INTERNAL_ERROR or cut with their connection resume", async () => {
  const skus = ["RESET-1", "RESET-2"];
  for (const sku of skus) await createProduct(server.address, sku);
  const { scanner, reasons } = session(proxy.address, { maxEntriesPerMessage: 5 });
  const entries = scans(countId, skus, 60);

  await scanner.putMany(entries.slice(0, 20));
  await until("a stream is open", () => proxy.openStreams > 0);
  proxy.resetStreams(h2.NGHTTP2_INTERNAL_ERROR); // the client sees INTERNAL
  await scanner.putMany(entries.slice(20, 40));
  await scanner.drain();
  await until("a stream is open again", () => proxy.openStreams > 0);
  proxy.dropConnections(); // the network goes
  await scanner.putMany(entries.slice(40));
  await scanner.close();

  assert.deepEqual([scanner.stats.acked, scanner.stats.rejected], [60, 0]);
  assert.ok(reasons.some((reason) => reason.startsWith("Internal")), reasons.join("; "));
  assert.ok(scanner.stats.reconnects >= 2, reasons.join("; "));
  assert.deepEqual(await countedBySku(server.address, countId, skus), totals(entries));
});

test("its own abort ends the session for good and keeps what has no ack", async () => {
  await createProduct(server.address, "ABORT-1");
  const { scanner } = session(proxy.address);
  proxy.holdResponses = true;
  try {
    await scanner.putMany(scans(countId, ["ABORT-1"], 10));
    await until("a stream is open", () => proxy.openStreams > 0);
    await scanner.abort(); // cancels the stream (CANCELLED): not a reason to resume
  } finally {
    proxy.holdResponses = false;
  }
  assert.equal(scanner.stats.reconnects, 0);
  assert.equal(scanner.unackedCount, 10);
  assert.equal(scanner.unacked()[0]!.product!.selector.value, "ABORT-1");
  await assert.rejects(scanner.put(scans(countId, ["ABORT-1"], 1)[0]!), /closing/);
});

test("a rejected entry is answered with its reason and not resent", async () => {
  await createProduct(server.address, "KNOWN-1");
  const acks: CountEntryAck[] = [];
  const { scanner } = session(server.address, { onAck: (_entry, ack) => acks.push(ack) });
  await scanner.putMany([...scans(countId, ["KNOWN-1"], 1), ...scans(countId, ["NO-SUCH-SKU"], 1)]);
  await scanner.close();
  assert.deepEqual([scanner.stats.acked, scanner.stats.rejected, scanner.stats.reconnects], [1, 1, 0]);
  const rejected = acks.find((ack) => ack.result.case === "error")!;
  assert.equal(rejected.result.case, "error");
  const details = statusDetails(rejected.result.value);
  assert.deepEqual([details.code, details.reason], [Code.NotFound, "PRODUCT_NOT_FOUND"]);
});

test("a bad token fails the session at once instead of retrying", async () => {
  const forged = createInventoryClient({ address: server.address, token: `${token("eve", "staff")}x` });
  const scanner = new ScannerSession(forged.counts, { deviceId: "ts-forged", backoff: FAST_RETRY }).start();
  await scanner.put(scans(countId, ["KNOWN-1"], 1)[0]!);
  const failure = await scanner.close().then(
    () => assert.fail("close() succeeded"),
    (error: unknown) => error,
  );
  assert.ok(failure instanceof SessionFailed);
  assert.equal(failure.code, Code.Unauthenticated);
  assert.equal(scanner.stats.reconnects, 0);
  assert.equal(scanner.unackedCount, 1);
});

test("a server killed, then stopped, mid-stream and restarted on its port: every entry applied once", async () => {
  const ownData = makeDataDir();
  const servers: LiveServer[] = [await LiveServer.start(ownData.path)];
  const running = () => servers[servers.length - 1]!;
  try {
    const port = running().port;
    await createProduct(running().address, "KILL-1");
    const ownCount = await startCount(running().address);
    const entries = scans(ownCount, ["KILL-1"], 300);
    entries[0]!.mode = CountMode.SET; // a recount first, then ADDs on top of it
    const { scanner, reasons } = session(running().address, { maxEntriesPerMessage: 1 });

    await scanner.putMany(entries.slice(0, 100));
    await until("50 entries are acknowledged", () => scanner.stats.acked >= 50);
    await running().kill(); // a crash: nothing drains; the client sees CANCELLED or a reset
    await scanner.putMany(entries.slice(100, 200)); // scanning goes on while it is down
    servers.push(await LiveServer.start(ownData.path, port));
    await until("150 entries are acknowledged", () => scanner.stats.acked >= 150);
    await running().stop(); // SIGTERM: the server drains and ends the stream UNAVAILABLE
    await scanner.putMany(entries.slice(200));
    servers.push(await LiveServer.start(ownData.path, port));
    await scanner.close();

    assert.deepEqual([scanner.stats.acked, scanner.stats.rejected, scanner.stats.queued], [300, 0, 300]);
    // Connect reports a killed peer as CANCELLED, or as ABORTED when it reads the reset first.
    assert.ok(reasons.some((reason) => /^(Canceled|Aborted)/.test(reason)), reasons.join("; "));
    assert.ok(reasons.some((reason) => reason.startsWith("Unavailable")), reasons.join("; "));
    assert.deepEqual(await countedBySku(running().address, ownCount, ["KILL-1"]), totals(entries));
  } finally {
    for (const server of servers) await server.stop();
    ownData.remove();
  }
});
