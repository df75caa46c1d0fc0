// Command inventory-example calls the inventory service from Go: it lists the catalog and the
// counts summary, starts a spot count, or streams one scan into a count.
//
//	export INVENTORY_ADDRESS=127.0.0.1:50051 INVENTORY_TOKEN=...
//	inventory-example                                   # products and the counts summary
//	inventory-example -start "Shelf 4"                  # starts a spot count, prints its id
//	inventory-example -count ID -sku SKU -quantity 3    # one scan, streamed; prints its ack
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	inventoryv1 "example.com/inventory/gen/inventory/v1"
	"example.com/inventory/inventoryclient"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("inventory-example", flag.ContinueOnError)
	flags.SetOutput(stderr)
	options := inventoryclient.OptionsFromEnv()
	flags.StringVar(&options.Address, "address", options.Address, "host:port of the service (INVENTORY_ADDRESS)")
	flags.StringVar(&options.Token, "token", options.Token, "bearer token (INVENTORY_TOKEN)")
	start := flags.String("start", "", "start a spot count with this name and print its id (managers)")
	countID := flags.String("count", "", "stream one scan into this in-progress count")
	sku := flags.String("sku", "", "the scanned product's SKU")
	quantity := flags.Int64("quantity", 1, "units counted")
	add := flags.Bool("add", false, "add to the line instead of replacing its quantity")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	client, err := inventoryclient.Dial(options)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer client.Close()
	ctx := context.Background()
	switch {
	case *start != "":
		err = startCount(ctx, client, stdout, *start)
	case *countID != "":
		err = scan(ctx, client, stdout, *countID, *sku, *quantity, *add)
	default:
		err = overview(ctx, client, stdout)
	}
	if err != nil {
		details := inventoryclient.Details(err)
		fmt.Fprintf(stderr, "error: %s %s: %s\n", details.Code, details.Reason, details.Message)
		return 1
	}
	return 0
}

func overview(ctx context.Context, client *inventoryclient.Client, out io.Writer) error {
	products, err := inventoryclient.All(ctx, func(ctx context.Context, pageToken string) ([]*inventoryv1.Product, string, error) {
		page, err := client.Catalog.ListProducts(ctx, &inventoryv1.ListProductsRequest{PageToken: pageToken})
		return page.GetProducts(), page.GetNextPageToken(), err
	})
	if err != nil {
		return err
	}
	for _, product := range products {
		fmt.Fprintf(out, "%-12s %6d  %14s  %s\n", product.Sku, product.StockQuantity,
			inventoryclient.MoneyWithCurrency(product.UnitCost), product.Name)
	}
	summary, err := client.Counts.GetInventorySummary(ctx, &inventoryv1.GetInventorySummaryRequest{})
	if err != nil {
		return err
	}
	overall := summary.Overall
	fmt.Fprintf(out, "counts: %d (%d completed), lines: %d, accuracy: %.1f%%, net variance: %s\n",
		overall.TotalCounts, overall.CompletedCounts, overall.ItemsCounted, 100*overall.Accuracy,
		inventoryclient.MoneyWithCurrency(overall.NetVariance))
	return nil
}

func startCount(ctx context.Context, client *inventoryclient.Client, out io.Writer, name string) error {
	started, err := client.Counts.StartInventoryCount(ctx, &inventoryv1.StartInventoryCountRequest{
		Name: name, Type: inventoryv1.InventoryCountType_INVENTORY_COUNT_TYPE_SPOT,
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(out, started.InventoryCount.Id)
	return nil
}

func scan(ctx context.Context, client *inventoryclient.Client, out io.Writer, countID, sku string, quantity int64, add bool) error {
	mode := inventoryv1.CountMode_COUNT_MODE_SET
	if add {
		mode = inventoryv1.CountMode_COUNT_MODE_ADD
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	stream, err := client.Counts.StreamCountItems(ctx)
	if err != nil {
		return err
	}
	err = stream.Send(&inventoryv1.StreamCountItemsRequest{
		DeviceId: "inventory-example",
		Entries: []*inventoryv1.CountEntry{{
			// A resend with the same entry_id is applied once.
			EntryId:          fmt.Sprintf("inventory-example-%d", time.Now().UnixNano()),
			InventoryCountId: countID,
			Product:          &inventoryv1.ProductSelector{Selector: &inventoryv1.ProductSelector_Sku{Sku: sku}},
			Quantity:         quantity,
			Mode:             mode,
		}},
	})
	if err != nil {
		return err
	}
	if err := stream.CloseSend(); err != nil {
		return err
	}
	for {
		response, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, ack := range response.Acks {
			if rejected := ack.GetError(); rejected != nil {
				fmt.Fprintf(out, "%s rejected: %s\n", ack.EntryId, rejected.Message)
				continue
			}
			item := ack.GetItem()
			fmt.Fprintf(out, "%s stored: %s counted %d", ack.EntryId, item.Sku, item.CountedQuantity)
			if item.Variance != nil {
				fmt.Fprintf(out, " (variance %d)", item.GetVariance())
			}
			fmt.Fprintln(out)
		}
	}
}
