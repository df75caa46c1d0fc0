package inventoryclient_test

import (
	"context"
	"io"
	"testing"
	"time"

	inventoryv1 "example.com/inventory/gen/inventory/v1"
	"example.com/inventory/inventoryclient"
	"google.golang.org/genproto/googleapis/type/money"
	"google.golang.org/grpc/codes"
)

func dial(t *testing.T, subject, role string) *inventoryclient.Client {
	t.Helper()
	client, err := inventoryclient.Dial(inventoryclient.Options{
		Address: server.Address, Token: token(subject, role),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	return client
}

func createProduct(t *testing.T, admin *inventoryclient.Client, sku string, cost *money.Money, opening int64) *inventoryv1.Product {
	t.Helper()
	created, err := admin.Catalog.CreateProduct(context.Background(), &inventoryv1.CreateProductRequest{
		Product:         &inventoryv1.Product{Sku: sku, Name: "Product " + sku, UnitCost: cost, Active: true},
		OpeningQuantity: opening,
	})
	if err != nil {
		t.Fatalf("CreateProduct %s: %v", sku, err)
	}
	return created.Product
}

func usd(units int64, nanos int32) *money.Money {
	return &money.Money{CurrencyCode: "USD", Units: units, Nanos: nanos}
}

func stockOf(t *testing.T, client *inventoryclient.Client, productID string) int64 {
	t.Helper()
	got, err := client.Catalog.GetProduct(context.Background(), &inventoryv1.GetProductRequest{
		Product: &inventoryv1.ProductSelector{Selector: &inventoryv1.ProductSelector_Id{Id: productID}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return got.Product.StockQuantity
}

func entry(id, countID, sku string, quantity int64, mode inventoryv1.CountMode) *inventoryv1.CountEntry {
	return &inventoryv1.CountEntry{
		EntryId:          id,
		InventoryCountId: countID,
		Product:          &inventoryv1.ProductSelector{Selector: &inventoryv1.ProductSelector_Sku{Sku: sku}},
		Quantity:         quantity,
		Mode:             mode,
	}
}

// stream sends each message on one StreamCountItems call, closes its side and returns every
// ack, in order.
func stream(t *testing.T, client *inventoryclient.Client, messages ...*inventoryv1.StreamCountItemsRequest) []*inventoryv1.CountEntryAck {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	call, err := client.Counts.StreamCountItems(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, message := range messages {
		if err := call.Send(message); err != nil {
			t.Fatal(err)
		}
	}
	if err := call.CloseSend(); err != nil {
		t.Fatal(err)
	}
	var acks []*inventoryv1.CountEntryAck
	for {
		response, err := call.Recv()
		if err == io.EOF {
			return acks
		}
		if err != nil {
			t.Fatalf("stream: %v", err)
		}
		acks = append(acks, response.Acks...)
	}
}

func TestCountStoryStreamedCompletedAndSummarised(t *testing.T) {
	ctx := context.Background()
	admin, manager, staff := dial(t, "ada-admin", "admin"), dial(t, "max-manager", "manager"), dial(t, "sid-staff", "staff")
	a := createProduct(t, admin, "GO-A", usd(2, 500_000_000), 40)
	b := createProduct(t, admin, "GO-B", usd(12, 500_000_000), 20)
	c := createProduct(t, admin, "GO-C", usd(0, 750_000_000), 30)

	started, err := manager.Counts.StartInventoryCount(ctx, &inventoryv1.StartInventoryCountRequest{
		Name: "Aisle 9", Type: inventoryv1.InventoryCountType_INVENTORY_COUNT_TYPE_CYCLE,
	})
	if err != nil {
		t.Fatal(err)
	}
	count := started.InventoryCount

	// A scanner streams two messages: a matching line, a shelf counted in two ADDs, an
	// over-count, and a barcode nobody knows.
	add, set := inventoryv1.CountMode_COUNT_MODE_ADD, inventoryv1.CountMode_COUNT_MODE_SET
	acks := stream(t, staff,
		&inventoryv1.StreamCountItemsRequest{DeviceId: "go-scanner-1", Entries: []*inventoryv1.CountEntry{
			entry("go-e1", count.Id, "GO-A", 40, set),
			entry("go-e2", count.Id, "GO-B", 5, add),
			entry("go-e3", count.Id, "GO-B", 7, add),
		}},
		&inventoryv1.StreamCountItemsRequest{Entries: []*inventoryv1.CountEntry{
			entry("go-e4", count.Id, "GO-C", 33, set),
			entry("go-e5", count.Id, "NO-SUCH-SKU", 1, set),
		}},
	)
	if len(acks) != 5 {
		t.Fatalf("got %d acks, want 5", len(acks))
	}
	for i, want := range []string{"go-e1", "go-e2", "go-e3", "go-e4", "go-e5"} {
		if acks[i].EntryId != want {
			t.Errorf("ack %d is for %s, want %s", i, acks[i].EntryId, want)
		}
	}
	shelf := acks[2].GetItem()
	if shelf.CountedQuantity != 12 || shelf.GetVariance() != -8 || inventoryclient.MoneyText(shelf.VarianceValue) != "-100.00" {
		t.Errorf("GO-B line: counted %d, variance %d, value %s; want 12, -8, -100.00",
			shelf.CountedQuantity, shelf.GetVariance(), inventoryclient.MoneyText(shelf.VarianceValue))
	}
	if !shelf.GetSignificantDiscrepancy() || shelf.CountedBy != "sid-staff" {
		t.Errorf("GO-B line: significant %v, counted by %q", shelf.GetSignificantDiscrepancy(), shelf.CountedBy)
	}
	if rejected := acks[4].GetError(); rejected == nil || codes.Code(rejected.Code) != codes.NotFound {
		t.Errorf("unknown SKU: got %v, want a NOT_FOUND ack", acks[4])
	}

	// The scanner lost its acks and sends an ADD again on a new stream: applied once.
	again := stream(t, staff, &inventoryv1.StreamCountItemsRequest{DeviceId: "go-scanner-1",
		Entries: []*inventoryv1.CountEntry{entry("go-e3", count.Id, "GO-B", 7, add)}})
	if len(again) != 1 || !again[0].Duplicate || again[0].GetItem().CountedQuantity != 12 {
		t.Fatalf("resent entry: got %v, want a duplicate ack with 12 counted", again)
	}

	done, err := manager.Counts.CompleteInventoryCount(ctx, &inventoryv1.CompleteInventoryCountRequest{
		InventoryCountId: count.Id, ApplyAdjustments: true, Notes: "booked",
	})
	if err != nil {
		t.Fatal(err)
	}
	stats := done.InventoryCount.Statistics
	if done.InventoryCount.Status != inventoryv1.InventoryCountStatus_INVENTORY_COUNT_STATUS_COMPLETED ||
		stats.ItemsCounted != 3 || stats.ItemsWithDiscrepancy != 2 ||
		inventoryclient.MoneyText(stats.ValueMissing) != "100.00" ||
		inventoryclient.MoneyText(stats.ValueInExcess) != "2.25" ||
		inventoryclient.MoneyText(stats.NetVariance) != "-97.75" {
		t.Errorf("completed count: %v", done.InventoryCount)
	}
	changes := map[string]int64{}
	for _, adjustment := range done.Adjustments {
		changes[adjustment.ProductId] = adjustment.QuantityChange
		if adjustment.Status != inventoryv1.StockAdjustmentStatus_STOCK_ADJUSTMENT_STATUS_APPLIED {
			t.Errorf("adjustment %s is %v", adjustment.Id, adjustment.Status)
		}
	}
	if len(changes) != 2 || changes[b.Id] != -8 || changes[c.Id] != 3 {
		t.Errorf("adjustments: %v, want GO-B -8 and GO-C +3", changes)
	}
	for product, want := range map[string]int64{a.Id: 40, b.Id: 12, c.Id: 33} {
		if got := stockOf(t, staff, product); got != want {
			t.Errorf("stock of %s: %d, want %d", product, got, want)
		}
	}

	summary, err := staff.Counts.GetInventorySummary(ctx, &inventoryv1.GetInventorySummaryRequest{})
	if err != nil {
		t.Fatal(err)
	}
	overall := summary.Overall
	if overall.TotalCounts != 1 || overall.CompletedCounts != 1 || overall.ItemsCounted != 3 ||
		overall.ItemsWithDiscrepancy != 2 || inventoryclient.MoneyText(overall.NetVariance) != "-97.75" {
		t.Errorf("summary: %v", overall)
	}
	if len(summary.ByType) != 1 || summary.ByType[0].Type != inventoryv1.InventoryCountType_INVENTORY_COUNT_TYPE_CYCLE {
		t.Errorf("summary by type: %v", summary.ByType)
	}
}

func TestTheftNeedsAManagersApproval(t *testing.T) {
	ctx := context.Background()
	admin, manager, staff := dial(t, "ada-admin", "admin"), dial(t, "max-manager", "manager"), dial(t, "sid-staff", "staff")
	product := createProduct(t, admin, "GO-THEFT", usd(4, 0), 100)

	created, err := staff.Adjustments.CreateStockAdjustment(ctx, &inventoryv1.CreateStockAdjustmentRequest{
		ProductId: product.Id, Type: inventoryv1.StockAdjustmentType_STOCK_ADJUSTMENT_TYPE_THEFT,
		QuantityChange: -3, Reason: "gap on the shelf",
	})
	if err != nil {
		t.Fatal(err)
	}
	pending := created.StockAdjustment
	if pending.Status != inventoryv1.StockAdjustmentStatus_STOCK_ADJUSTMENT_STATUS_PENDING || !pending.RequiresApproval {
		t.Fatalf("a theft is applied only after approval: %v", pending)
	}
	if got := stockOf(t, staff, product.Id); got != 100 {
		t.Fatalf("stock before approval: %d, want 100", got)
	}

	_, err = staff.Adjustments.ApproveStockAdjustment(ctx, &inventoryv1.ApproveStockAdjustmentRequest{StockAdjustmentId: pending.Id})
	if details := inventoryclient.Details(err); details.Code != codes.PermissionDenied || details.Reason != "ROLE_TOO_LOW" {
		t.Fatalf("staff approving: %+v, want PERMISSION_DENIED ROLE_TOO_LOW", details)
	}

	waiting, err := inventoryclient.All(ctx, func(ctx context.Context, pageToken string) ([]*inventoryv1.StockAdjustment, string, error) {
		page, err := manager.Adjustments.ListPendingApprovals(ctx, &inventoryv1.ListPendingApprovalsRequest{PageSize: 1, PageToken: pageToken})
		return page.GetStockAdjustments(), page.GetNextPageToken(), err
	})
	if err != nil || len(waiting) != 1 || waiting[0].Id != pending.Id {
		t.Fatalf("pending approvals: %v (%v)", waiting, err)
	}

	approved, err := manager.Adjustments.ApproveStockAdjustment(ctx, &inventoryv1.ApproveStockAdjustmentRequest{
		StockAdjustmentId: pending.Id, Notes: "seen on camera",
	})
	if err != nil {
		t.Fatal(err)
	}
	applied := approved.StockAdjustment
	if applied.Status != inventoryv1.StockAdjustmentStatus_STOCK_ADJUSTMENT_STATUS_APPLIED ||
		applied.GetQuantityBefore() != 100 || applied.GetQuantityAfter() != 97 ||
		applied.DecidedBy != "max-manager" || inventoryclient.MoneyText(applied.CostImpact) != "-12.00" {
		t.Errorf("approved adjustment: %v", applied)
	}
	if got := stockOf(t, staff, product.Id); got != 97 {
		t.Errorf("stock after approval: %d, want 97", got)
	}
}

func TestErrorDetailsNameTheReasonAndTheField(t *testing.T) {
	staff := dial(t, "sid-staff", "staff")
	_, err := staff.Adjustments.CreateStockAdjustment(context.Background(), &inventoryv1.CreateStockAdjustmentRequest{
		ProductId: "any", Type: inventoryv1.StockAdjustmentType_STOCK_ADJUSTMENT_TYPE_DAMAGE,
		QuantityChange: 5, Reason: "dropped",
	})
	details := inventoryclient.Details(err)
	if details.Code != codes.InvalidArgument || details.Reason != "QUANTITY_SIGN_MISMATCH" {
		t.Fatalf("got %+v, want INVALID_ARGUMENT QUANTITY_SIGN_MISMATCH", details)
	}
	if _, ok := details.FieldViolations["quantity_change"]; !ok {
		t.Errorf("field violations %v do not name quantity_change", details.FieldViolations)
	}

	anonymous, err := inventoryclient.Dial(inventoryclient.Options{Address: server.Address})
	if err != nil {
		t.Fatal(err)
	}
	defer anonymous.Close()
	_, err = anonymous.Catalog.ListProducts(context.Background(), &inventoryv1.ListProductsRequest{})
	if details := inventoryclient.Details(err); details.Code != codes.Unauthenticated || details.Reason != "TOKEN_MISSING" {
		t.Errorf("no token: got %+v, want UNAUTHENTICATED TOKEN_MISSING", details)
	}
}
