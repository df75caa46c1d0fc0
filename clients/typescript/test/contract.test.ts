// The generated TypeScript carries the contract's own rules, as the server reads them: the role
// each RPC needs (inventory.v1.required_role) and what fields are (google.api.field_behavior).
import assert from "node:assert/strict";
import { test } from "node:test";
import { getOption, hasOption } from "@bufbuild/protobuf";
import { field_behavior, FieldBehavior } from "../src/gen/google/api/field_behavior_pb.js";
import {
  CatalogService,
  InventoryCountService,
  ProductSchema,
  required_role,
  Role,
  SiteService,
  StockAdjustmentService,
} from "../src/index.js";

test("every RPC declares the role it needs", () => {
  for (const service of [CatalogService, InventoryCountService, StockAdjustmentService, SiteService]) {
    for (const method of service.methods) {
      assert.ok(hasOption(method, required_role), `${service.typeName}.${method.name} declares no role`);
    }
  }
  assert.equal(getOption(CatalogService.method.createProduct, required_role), Role.ADMIN);
  assert.equal(getOption(StockAdjustmentService.method.approveStockAdjustment, required_role), Role.MANAGER);
  assert.equal(getOption(InventoryCountService.method.streamCountItems, required_role), Role.STAFF);
  assert.equal(getOption(SiteService.method.createSite, required_role), Role.ADMIN);
});

test("field behaviour is machine-readable", () => {
  assert.deepEqual(getOption(ProductSchema.field.stockQuantity, field_behavior), [FieldBehavior.OUTPUT_ONLY]);
  assert.deepEqual(getOption(ProductSchema.field.sku, field_behavior), [FieldBehavior.REQUIRED]);
});
