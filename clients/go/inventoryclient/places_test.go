package inventoryclient_test

import (
	"context"
	"testing"

	inventoryv1 "example.com/inventory/gen/inventory/v1"
	"example.com/inventory/inventoryclient"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

func at(siteCode, code string) *inventoryv1.LocationSelector {
	return &inventoryv1.LocationSelector{SiteCode: siteCode, Code: code}
}

// An admin sets up a site and its locations; stock arrives in one, moves to another and is
// read by location; a transfer across sites waits for a manager; a place holding stock stays
// active.
func TestStockByPlaceThroughSiteService(t *testing.T) {
	ctx := context.Background()
	admin, manager, staff := dial(t, "ada-admin", "admin"), dial(t, "max-manager", "manager"), dial(t, "sid-staff", "staff")

	created, err := admin.Sites.CreateSite(ctx, &inventoryv1.CreateSiteRequest{
		Site: &inventoryv1.Site{Code: "go-north", Name: "North store"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if created.Site.Code != "GO-NORTH" || created.Site.DefaultLocationId == "" {
		t.Fatalf("created %v", created.Site)
	}
	for _, code := range []string{"FRIDGE-1", "SHELF-1"} {
		_, err := admin.Sites.CreateLocation(ctx, &inventoryv1.CreateLocationRequest{
			Location: &inventoryv1.Location{SiteId: created.Site.Id, Code: code, Zone: "Go cold chain"},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	north := &inventoryv1.SiteSelector{Selector: &inventoryv1.SiteSelector_Code{Code: "GO-NORTH"}}
	locations, err := inventoryclient.All(ctx, func(ctx context.Context, token string) ([]*inventoryv1.Location, string, error) {
		page, err := staff.Sites.ListLocations(ctx, &inventoryv1.ListLocationsRequest{Site: north, PageSize: 1, PageToken: token})
		if err != nil {
			return nil, "", err
		}
		return page.Locations, page.NextPageToken, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, location := range locations {
		codes = append(codes, location.Code)
	}
	if len(codes) != 3 || codes[0] != "DEFAULT" || codes[1] != "FRIDGE-1" || codes[2] != "SHELF-1" {
		t.Fatalf("locations of GO-NORTH: %v", codes)
	}

	product := createProductAt(t, admin, "GO-VAX", at("GO-NORTH", "FRIDGE-1"), 10)
	moved, err := staff.Catalog.TransferStock(ctx, &inventoryv1.TransferStockRequest{
		Lines: []*inventoryv1.StockTransferLine{{
			ProductId: product.Id, FromLocation: at("GO-NORTH", "FRIDGE-1"), ToLocation: at("GO-NORTH", "SHELF-1"), Quantity: 4,
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	line := moved.Transfers[0]
	if line.FromEntry.Source != inventoryv1.LedgerSource_LEDGER_SOURCE_TRANSFER || line.ToEntry.TransferId != line.Id || line.ToEntry.LocationCode != "SHELF-1" {
		t.Fatalf("transfer %v", line)
	}

	levels, err := staff.Catalog.ListStockLevels(ctx, &inventoryv1.ListStockLevelsRequest{Zone: "Go cold chain"})
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, level := range levels.StockLevels {
		seen = append(seen, level.LocationCode+"="+level.Sku)
		if level.SiteCode != "GO-NORTH" {
			t.Errorf("level in %s", level.SiteCode)
		}
	}
	if len(seen) != 2 || seen[0] != "FRIDGE-1=GO-VAX" || seen[1] != "SHELF-1=GO-VAX" || levels.StockLevels[0].Quantity != 6 || levels.StockLevels[1].Quantity != 4 {
		t.Fatalf("levels %v", levels.StockLevels)
	}

	across := &inventoryv1.TransferStockRequest{Lines: []*inventoryv1.StockTransferLine{{
		ProductId: product.Id, FromLocation: at("GO-NORTH", "SHELF-1"), ToLocation: at("MAIN", ""), Quantity: 1,
	}}}
	_, err = staff.Catalog.TransferStock(ctx, across)
	if details := inventoryclient.Details(err); details.Reason != "CROSS_SITE_TRANSFER" {
		t.Fatalf("staff across sites: %v", err)
	}
	if _, err := manager.Catalog.TransferStock(ctx, across); err != nil {
		t.Fatal(err)
	}
	if got := stockOf(t, staff, product.Id); got != 10 {
		t.Fatalf("stock %d, want 10 (transfers move, they add nothing)", got)
	}

	_, err = admin.Sites.UpdateLocation(ctx, &inventoryv1.UpdateLocationRequest{
		Location:   &inventoryv1.Location{Id: locations[2].Id, Active: false},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"active"}},
	})
	if details := inventoryclient.Details(err); details.Reason != "LOCATION_HOLDS_STOCK" {
		t.Fatalf("deactivating a shelf holding stock: %v", err)
	}
}

func createProductAt(t *testing.T, admin *inventoryclient.Client, sku string, place *inventoryv1.LocationSelector, opening int64) *inventoryv1.Product {
	t.Helper()
	created, err := admin.Catalog.CreateProduct(context.Background(), &inventoryv1.CreateProductRequest{
		Product:         &inventoryv1.Product{Sku: sku, Name: "Product " + sku, UnitCost: usd(12, 0)},
		OpeningQuantity: opening,
		OpeningLocation: place,
	})
	if err != nil {
		t.Fatalf("CreateProduct %s: %v", sku, err)
	}
	return created.Product
}
