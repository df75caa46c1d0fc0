// The TypeScript client against the live server: a stock-take told as a story, to the cent,
// and an adjustment that waits for a manager's approval.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Code, type Interceptor } from "@connectrpc/connect";
import {
  all,
  byProductId,
  bySku,
  createInventoryClient,
  InventoryCountStatus,
  InventoryCountType,
  items,
  money,
  moneyText,
  ScannerSession,
  CountMode,
  StockAdjustmentStatus,
  StockAdjustmentType,
  type InventoryClient,
} from "../src/index.js";
import { actingAs, rejection, type RoleName } from "./support/calls.js";
import { LiveServer, makeDataDir, token } from "./support/server.js";

let server: LiveServer;
let dataDir: ReturnType<typeof makeDataDir>;

before(async () => {
  dataDir = makeDataDir();
  server = await LiveServer.start(dataDir.path);
});

after(async () => {
  await server?.stop();
  dataDir?.remove();
});

function as(subject: string, role: RoleName): InventoryClient {
  return actingAs(server.address, subject, role);
}

async function createProduct(admin: InventoryClient, sku: string, unitCost: string, opening: bigint) {
  const { product } = await admin.catalog.createProduct({
    product: { sku, name: `Product ${sku}`, unitCost: money(unitCost), active: true },
    openingQuantity: opening,
  });
  return product!;
}

async function stockOf(client: InventoryClient, productId: string): Promise<bigint> {
  const { product } = await client.catalog.getProduct({ product: byProductId(productId) });
  return product!.stockQuantity;
}

test("a cycle count from start to summary", async () => {
  const admin = as("ada-admin", "admin");
  const manager = as("mia-manager", "manager");
  const staff = as("sam-staff", "staff");
  const otherStaff = as("sue-staff", "staff");
  const a = await createProduct(admin, "TS-A", "2.50", 40n);
  const b = await createProduct(admin, "TS-B", "12.50", 20n);
  const c = await createProduct(admin, "TS-C", "0.75", 30n);
  const d = await createProduct(admin, "TS-D", "4.00", 50n);
  const f = await createProduct(admin, "TS-F", "3.00", 25n);

  const { inventoryCount: count } = await manager.counts.startInventoryCount({
    name: "Aisle 3",
    type: InventoryCountType.CYCLE,
  });
  assert.equal(count!.status, InventoryCountStatus.IN_PROGRESS);
  assert.equal(count!.startedBy, "mia-manager");
  const inventoryCountId = count!.id;

  // Matching, short (by value over the threshold), over, and a recount by someone else.
  const add = (client: InventoryClient, sku: string, countedQuantity: bigint, reason = "") =>
    client.counts.addCountItem({ inventoryCountId, product: bySku(sku), countedQuantity, reason }).then((r) => r.item!);
  const matching = await add(staff, "TS-A", 40n);
  assert.deepEqual([matching.systemQuantity, matching.variance, matching.significantDiscrepancy], [40n, 0n, false]);
  const short = await add(staff, "TS-B", 12n, "shelf half empty");
  assert.deepEqual([short.systemQuantity, short.variance, moneyText(short.varianceValue)], [20n, -8n, "-100.00"]);
  assert.equal(short.significantDiscrepancy, true);
  assert.equal(short.countedBy, "sam-staff");
  const over = await add(staff, "TS-C", 33n);
  assert.deepEqual([over.variance, moneyText(over.varianceValue)], [3n, "2.25"]);
  const first = await add(staff, "TS-D", 45n);
  const recount = await add(otherStaff, "TS-D", 52n);
  assert.equal(recount.id, first.id);
  assert.deepEqual([recount.variance, moneyText(recount.varianceValue), recount.countedBy], [2n, "8.00", "sue-staff"]);

  // A scanner streams TS-F in two ADDs; then a sale takes 5 units after the scan.
  const scanner = new ScannerSession(staff.counts, { deviceId: "ts-scanner-1" }).start();
  await scanner.put({ inventoryCountId, product: bySku("TS-F"), quantity: 12n, mode: CountMode.ADD });
  await scanner.put({ inventoryCountId, product: bySku("TS-F"), quantity: 10n, mode: CountMode.ADD });
  await scanner.close();
  assert.deepEqual([scanner.stats.acked, scanner.stats.rejected], [2, 0]);
  await staff.catalog.recordStockMovements({
    movements: [{ productId: f.id, quantityDelta: -5n, sourceReference: "sale-1", reason: "sale" }],
  });

  const again = await rejection(manager.counts.startInventoryCount({ name: "Another", type: InventoryCountType.SPOT }));
  assert.equal(again.code, Code.FailedPrecondition);
  assert.equal(again.reason, "COUNT_IN_PROGRESS");
  assert.equal(again.preconditionViolations[0]?.subject, `inventoryCounts/${inventoryCountId}`);

  const lines = await all(staff.counts.listCountItems, { inventoryCountId, pageSize: 2 }, "items");
  assert.deepEqual(
    lines.map((line) => [line.sku, line.countedQuantity]),
    [["TS-A", 40n], ["TS-B", 12n], ["TS-C", 33n], ["TS-D", 52n], ["TS-F", 22n]],
  );

  const done = await manager.counts.completeInventoryCount({
    inventoryCountId,
    applyAdjustments: true,
    notes: "variances booked",
  });
  const stats = done.inventoryCount!.statistics!;
  assert.equal(done.inventoryCount!.status, InventoryCountStatus.COMPLETED);
  assert.deepEqual([stats.itemsCounted, stats.itemsWithDiscrepancy], [5n, 4n]);
  assert.deepEqual(
    [moneyText(stats.valueMissing), moneyText(stats.valueInExcess), moneyText(stats.netVariance)],
    ["109.00", "10.25", "-98.75"], // 100.00 + 9.00 missing; 2.25 + 8.00 in excess
  );
  assert.deepEqual(
    done.movedItems.map((moved) => [moved.item!.sku, moved.item!.systemQuantity, moved.currentQuantity]),
    [["TS-F", 25n, 20n]],
  );
  const adjustments = new Map(done.adjustments.map((adj) => [adj.productId, adj]));
  assert.equal(adjustments.size, 4); // none for TS-A, which matched
  for (const [product, change, before, after] of [
    [b, -8n, 20n, 12n],
    [c, 3n, 30n, 33n],
    [d, 2n, 50n, 52n],
    [f, -3n, 20n, 17n], // the difference, applied after the sale
  ] as const) {
    const adjustment = adjustments.get(product.id)!;
    assert.equal(adjustment.type, StockAdjustmentType.CORRECTION);
    assert.equal(adjustment.status, StockAdjustmentStatus.APPLIED);
    assert.deepEqual([adjustment.quantityChange, adjustment.quantityBefore, adjustment.quantityAfter], [change, before, after]);
    assert.equal(adjustment.inventoryCountId, inventoryCountId);
  }
  for (const [product, level] of [[a, 40n], [b, 12n], [c, 33n], [d, 52n], [f, 17n]] as const) {
    assert.equal(await stockOf(staff, product.id), level, product.sku);
  }

  const { overall, byType } = await staff.counts.getInventorySummary({});
  assert.deepEqual(
    [overall!.totalCounts, overall!.completedCounts, overall!.itemsCounted, overall!.itemsWithDiscrepancy],
    [1n, 1n, 5n, 4n],
  );
  assert.equal(overall!.accuracy, 0.2);
  assert.equal(moneyText(overall!.netVariance), "-98.75");
  assert.deepEqual(byType.map((row) => row.type), [InventoryCountType.CYCLE]);

  const late = await rejection(
    staff.counts.addCountItem({ inventoryCountId, product: bySku("TS-A"), countedQuantity: 1n }),
  );
  assert.deepEqual([late.code, late.reason], [Code.FailedPrecondition, "COUNT_NOT_IN_PROGRESS"]);
});

test("a theft waits for a manager's approval; nobody decides their own", async () => {
  const admin = as("ada-admin", "admin");
  const manager = as("mia-manager", "manager");
  const otherManager = as("nia-manager", "manager");
  const staff = as("sam-staff", "staff");
  const product = await createProduct(admin, "TS-THEFT", "4.00", 100n);

  const { stockAdjustment: theft } = await staff.adjustments.createStockAdjustment({
    productId: product.id,
    type: StockAdjustmentType.THEFT,
    quantityChange: -3n,
    reason: "gap on the shelf",
  });
  assert.equal(theft!.status, StockAdjustmentStatus.PENDING);
  assert.equal(theft!.requiresApproval, true);
  assert.equal(await stockOf(staff, product.id), 100n);

  const { stockAdjustment: damage } = await manager.adjustments.createStockAdjustment({
    productId: product.id,
    type: StockAdjustmentType.DAMAGE,
    quantityChange: -60n, // over 50 units: needs approval
    reason: "forklift",
  });
  assert.equal(damage!.status, StockAdjustmentStatus.PENDING);

  const byStaff = await rejection(staff.adjustments.approveStockAdjustment({ stockAdjustmentId: theft!.id }));
  assert.deepEqual([byStaff.code, byStaff.reason], [Code.PermissionDenied, "ROLE_TOO_LOW"]);
  const ownDecision = await rejection(manager.adjustments.approveStockAdjustment({ stockAdjustmentId: damage!.id }));
  assert.deepEqual([ownDecision.code, ownDecision.reason], [Code.PermissionDenied, "SELF_APPROVAL_FORBIDDEN"]);

  const waiting: string[] = [];
  for await (const pending of items(manager.adjustments.listPendingApprovals, { pageSize: 1 }, "stockAdjustments")) {
    waiting.push(pending.id);
  }
  assert.deepEqual(waiting, [theft!.id, damage!.id]); // oldest first

  const { stockAdjustment: approved } = await manager.adjustments.approveStockAdjustment({
    stockAdjustmentId: theft!.id,
    notes: "seen on camera",
  });
  assert.equal(approved!.status, StockAdjustmentStatus.APPLIED);
  assert.deepEqual([approved!.quantityBefore, approved!.quantityAfter, approved!.decidedBy], [100n, 97n, "mia-manager"]);
  assert.equal(moneyText(approved!.costImpact), "-12.00");

  const { stockAdjustment: rejected } = await otherManager.adjustments.rejectStockAdjustment({
    stockAdjustmentId: damage!.id,
    notes: "the pallet was fine",
  });
  assert.equal(rejected!.status, StockAdjustmentStatus.REJECTED);
  assert.equal(await stockOf(staff, product.id), 97n);

  const twice = await rejection(otherManager.adjustments.approveStockAdjustment({ stockAdjustmentId: theft!.id }));
  assert.deepEqual([twice.code, twice.reason], [Code.FailedPrecondition, "ADJUSTMENT_NOT_PENDING"]);
  assert.equal(twice.preconditionViolations[0]?.subject, `stockAdjustments/${theft!.id}`);
});

test("errors carry their reason and field violations", async () => {
  const staff = as("sam-staff", "staff");
  const wrongSign = await rejection(
    staff.adjustments.createStockAdjustment({
      productId: "any",
      type: StockAdjustmentType.DAMAGE,
      quantityChange: 5n,
      reason: "dropped",
    }),
  );
  assert.deepEqual([wrongSign.code, wrongSign.reason, wrongSign.domain], [Code.InvalidArgument, "QUANTITY_SIGN_MISMATCH", "inventory.v1"]);
  assert.match(wrongSign.fieldViolations["quantity_change"] ?? "", /decreases stock/);

  const anonymous = createInventoryClient({ address: server.address });
  const noToken = await rejection(anonymous.catalog.listProducts({}));
  assert.deepEqual([noToken.code, noToken.reason], [Code.Unauthenticated, "TOKEN_MISSING"]);
});

test("every call carries a deadline unless it asks for none", async () => {
  const sent: (string | null)[] = [];
  const recordTimeout: Interceptor = (next) => (request) => {
    sent.push(request.header.get("grpc-timeout"));
    return next(request);
  };
  const client = createInventoryClient({
    address: server.address,
    token: token("sam-staff", "staff"),
    timeoutMs: 2_500,
    interceptors: [recordTimeout],
  });
  await client.catalog.listProducts({});
  await client.catalog.listProducts({}, { timeoutMs: 700 });
  await client.catalog.listProducts({}, { timeoutMs: 0 });
  assert.deepEqual(sent, ["2500m", "700m", null]);
});
