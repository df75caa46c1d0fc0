package inventoryclient

import "context"

// Page fetches one page: the items and the token of the next page ("" on the last).
type Page[Item any] func(ctx context.Context, pageToken string) ([]Item, string, error)

// All follows next_page_token from the first page to the last (AIP-158) and returns every item.
func All[Item any](ctx context.Context, page Page[Item]) ([]Item, error) {
	var all []Item
	token := ""
	for {
		items, next, err := page(ctx, token)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if next == "" {
			return all, nil
		}
		token = next
	}
}
