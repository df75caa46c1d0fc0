package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	inventoryv1 "example.com/inventory/gen/inventory/v1"
	"example.com/inventory/internal/liveserver"
	"example.com/inventory/inventoryclient"
	"google.golang.org/genproto/googleapis/type/money"
)

var server *liveserver.Server

func TestMain(m *testing.M) {
	liveserver.RunTests(m, func(started *liveserver.Server) { server = started })
}

func example(t *testing.T, role string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	args = append([]string{"-address", server.Address, "-token", liveserver.Token("eve-"+role, role)}, args...)
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestExampleScansIntoACountAndShowsTheCatalog(t *testing.T) {
	ctx := context.Background()
	admin, err := inventoryclient.Dial(inventoryclient.Options{Address: server.Address, Token: liveserver.Token("ada", "admin")})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	_, err = admin.Catalog.CreateProduct(ctx, &inventoryv1.CreateProductRequest{
		Product:         &inventoryv1.Product{Sku: "EX-1", Name: "Example tins", UnitCost: &money.Money{CurrencyCode: "USD", Units: 3}, Active: true},
		OpeningQuantity: 10,
	})
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs := example(t, "manager", "-start", "Example spot check")
	countID := strings.TrimSpace(out)
	if code != 0 || countID == "" {
		t.Fatalf("start: exit %d, out %q, err %q", code, out, errs)
	}

	code, out, errs = example(t, "staff", "-count", countID, "-sku", "EX-1", "-quantity", "7")
	if code != 0 || !strings.Contains(out, "stored: EX-1 counted 7 (variance -3)") {
		t.Fatalf("scan: exit %d, out %q, err %q", code, out, errs)
	}

	code, out, errs = example(t, "staff")
	if code != 0 || !strings.Contains(out, "3.00 USD  Example tins") || !strings.Contains(out, "counts: 1 (0 completed), lines: 1") ||
		!strings.Contains(out, "net variance: -9.00 USD") {
		t.Fatalf("overview: exit %d, out %q, err %q", code, out, errs)
	}
}

func TestExampleSaysWhyACallFailed(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"-address", server.Address, "-token", "not-a-jwt"}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "Unauthenticated TOKEN_INVALID") {
		t.Fatalf("exit %d, err %q", code, stderr.String())
	}
}
