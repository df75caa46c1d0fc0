// Safe retries against the live server: a read and a write (its request_id filled in) whose
// stream a proxy resets with INTERNAL_ERROR, as a dying worker's connection does, end well and
// the write is applied once; a write without a request_id is sent once.
import assert from "node:assert/strict";
import { constants as h2 } from "node:http2";
import { after, before, test } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { bySku, createInventoryClient, money, type InventoryClient } from "../src/index.js";
import { GrpcProxy } from "./support/grpc-proxy.js";
import { LiveServer, makeDataDir, token } from "./support/server.js";

let server: LiveServer;
let proxy: GrpcProxy;
let dataDir: ReturnType<typeof makeDataDir>;

before(async () => {
  dataDir = makeDataDir();
  server = await LiveServer.start(dataDir.path);
  proxy = await GrpcProxy.start(server.address);
});

after(async () => {
  await proxy?.close();
  await server?.stop();
  dataDir?.remove();
});

function through(role: "staff" | "admin", retry?: false): InventoryClient {
  return createInventoryClient({ address: proxy.address, token: token(`${role}-r`, role), retry });
}

/** Runs call with its stream reset (INTERNAL_ERROR) as the server's answer arrives. */
function resetOnce<T>(call: () => Promise<T>): Promise<T> {
  proxy.resetNextAnswer(h2.NGHTTP2_INTERNAL_ERROR);
  return call();
}

test("a read and a request_id write reset by the transport are retried; the write applies once", async () => {
  const admin = through("admin");
  const { product } = await admin.catalog.createProduct({
    product: { sku: "TS-RST-1", name: "reset", unitCost: money("1.00") },
    openingQuantity: 10n,
  });
  const read = await resetOnce(() => admin.catalog.getProduct({ product: bySku("TS-RST-1") }));
  assert.equal(read.product?.id, product!.id);
  await resetOnce(() =>
    through("staff").catalog.recordStockMovements({
      movements: [{ productId: product!.id, quantityDelta: 5n, sourceReference: "GRN-TS" }],
    }),
  );
  const after = await admin.catalog.getProduct({ product: bySku("TS-RST-1") });
  assert.equal(after.product?.stockQuantity, 15n);
});

test("with retries off, the transport's INTERNAL reaches the caller", async () => {
  const admin = through("admin", false);
  await assert.rejects(
    resetOnce(() => admin.catalog.getProduct({ product: bySku("TS-RST-1") })),
    (error: unknown) => error instanceof ConnectError && error.code === Code.Internal,
  );
});
