// The inventory service's TypeScript client: generated stubs (./gen) and a thin typed wrapper.
export * from "./client.js";
export * from "./errors.js";
export * from "./money.js";
export * from "./paging.js";
export * from "./retry.js";
export * from "./scanner.js";
export * from "./selectors.js";
export * from "./gen/inventory/v1/annotations_pb.js";
export * from "./gen/inventory/v1/catalog_pb.js";
export * from "./gen/inventory/v1/inventory_count_pb.js";
export * from "./gen/inventory/v1/site_pb.js";
export * from "./gen/inventory/v1/stock_adjustment_pb.js";
