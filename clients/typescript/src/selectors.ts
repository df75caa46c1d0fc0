// ProductSelector and SiteSelector values (oneofs) without spelling out their case each time,
// and LocationSelector values by site code and code.
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ProductSelectorSchema } from "./gen/inventory/v1/catalog_pb.js";
import type { LocationSelectorSchema, SiteSelectorSchema } from "./gen/inventory/v1/site_pb.js";

type Selector = MessageInitShape<typeof ProductSelectorSchema>;
type SiteChoice = MessageInitShape<typeof SiteSelectorSchema>;
type LocationChoice = MessageInitShape<typeof LocationSelectorSchema>;

export const bySku = (sku: string): Selector => ({ selector: { case: "sku", value: sku } });
export const byProductId = (id: string): Selector => ({ selector: { case: "id", value: id } });
export const byBarcode = (barcode: string): Selector => ({ selector: { case: "barcode", value: barcode } });

export const bySiteCode = (code: string): SiteChoice => ({ selector: { case: "code", value: code } });
export const bySiteId = (id: string): SiteChoice => ({ selector: { case: "id", value: id } });
/** A location by its site's code and its own; `at("STORE-12")` is the site's default location. */
export const at = (siteCode: string, code = ""): LocationChoice => ({ siteCode, code });
export const byLocationId = (id: string): LocationChoice => ({ id });
