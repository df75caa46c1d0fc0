// The TypeScript client's SiteService against the live server: an admin sets up a site and its
// locations, stock arrives in one, moves to another and is read by location; a transfer across
// sites waits for a manager, and a place holding stock stays active.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  all,
  at,
  bySiteCode,
  LedgerSource,
  money,
  type InventoryClient,
} from "../src/index.js";
import { actingAs, rejection, type RoleName } from "./support/calls.js";
import { LiveServer, makeDataDir } from "./support/server.js";

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

test("stock by place: sites, locations, transfers and levels", async () => {
  const admin = as("ada-admin", "admin");
  const manager = as("mia-manager", "manager");
  const staff = as("sam-staff", "staff");

  const { site } = await admin.sites.createSite({ site: { code: "north", name: "North store" } });
  assert.equal(site!.code, "NORTH");
  assert.ok(site!.defaultLocationId);
  for (const code of ["FRIDGE-1", "SHELF-1"]) {
    await admin.sites.createLocation({ location: { siteCode: "NORTH", code, zone: "Cold chain" } });
  }
  const located = await all(staff.sites.listLocations, { site: bySiteCode("NORTH"), pageSize: 1 }, "locations");
  assert.deepEqual(
    located.map((l) => l.code),
    ["DEFAULT", "FRIDGE-1", "SHELF-1"],
  );
  const sites = await all(staff.sites.listSites, {}, "sites");
  assert.deepEqual(
    sites.map((s) => [s.code, s.defaultSite]),
    [
      ["MAIN", true],
      ["NORTH", false],
    ],
  );

  const { product } = await admin.catalog.createProduct({
    product: { sku: "TS-VAX", name: "Vaccine", unitCost: money("12.00") },
    openingQuantity: 10n,
    openingLocation: at("NORTH", "FRIDGE-1"),
  });
  const { transfers } = await staff.catalog.transferStock({
    lines: [{ productId: product!.id, fromLocation: at("NORTH", "FRIDGE-1"), toLocation: at("NORTH", "SHELF-1"), quantity: 4n }],
    sourceReference: "TN-1",
  });
  assert.equal(transfers.length, 1);
  const [moved] = transfers;
  assert.equal(moved.fromEntry!.source, LedgerSource.TRANSFER);
  assert.equal(moved.toEntry!.transferId, moved.id);
  assert.equal(moved.toEntry!.locationCode, "SHELF-1");

  const levels = await all(staff.catalog.listStockLevels, { zone: "Cold chain" }, "stockLevels");
  assert.deepEqual(
    levels.map((l) => [l.siteCode, l.locationCode, l.sku, l.quantity]),
    [
      ["NORTH", "FRIDGE-1", "TS-VAX", 6n],
      ["NORTH", "SHELF-1", "TS-VAX", 4n],
    ],
  );

  const across = {
    lines: [{ productId: product!.id, fromLocation: at("NORTH", "SHELF-1"), toLocation: at("MAIN"), quantity: 1n }],
  };
  const refused = await rejection(staff.catalog.transferStock(across));
  assert.equal(refused.reason, "CROSS_SITE_TRANSFER");
  await manager.catalog.transferStock(across);
  const { product: seen } = await staff.catalog.getProduct({ product: { selector: { case: "id", value: product!.id } } });
  assert.equal(seen!.stockQuantity, 10n);
  assert.deepEqual(
    seen!.siteStocks.map((s) => [s.siteCode, s.quantity]),
    [
      ["MAIN", 1n],
      ["NORTH", 9n],
    ],
  );

  const shelf = located.find((l) => l.code === "SHELF-1")!;
  const holding = await rejection(
    admin.sites.updateLocation({ location: { id: shelf.id, active: false }, updateMask: { paths: ["active"] } }),
  );
  assert.equal(holding.reason, "LOCATION_HOLDS_STOCK");
});
