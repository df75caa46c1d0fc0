// ProductSelector values (a oneof) without spelling out its case each time.
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ProductSelectorSchema } from "./gen/inventory/v1/catalog_pb.js";

type Selector = MessageInitShape<typeof ProductSelectorSchema>;

export const bySku = (sku: string): Selector => ({ selector: { case: "sku", value: sku } });
export const byProductId = (id: string): Selector => ({ selector: { case: "id", value: id } });
export const byBarcode = (barcode: string): Selector => ({ selector: { case: "barcode", value: barcode } });
