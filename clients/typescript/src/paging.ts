// Paged lists (AIP-158): follow next_page_token from the first page to the last.
import type { CallOptions } from "@connectrpc/connect";

type PagedCall<Req, Res> = (request: Req, options?: CallOptions) => Promise<Res>;
type ListField<Res> = { [K in keyof Res]: Res[K] extends readonly unknown[] ? K : never }[keyof Res];
type ItemOf<Res, K extends keyof Res> = Res[K] extends readonly (infer T)[] ? T : never;

/** Every page of a list call, starting at request.pageToken (or the first page). */
export async function* pages<Req extends { pageToken?: string }, Res extends { nextPageToken: string }>(
  call: PagedCall<Req, Res>,
  request: Req,
  options?: CallOptions,
): AsyncGenerator<Res> {
  let pageToken = request.pageToken ?? "";
  do {
    const page = await call({ ...request, pageToken }, options);
    yield page;
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
}

/**
 * Every item of a list, page after page:
 * `for await (const product of items(client.catalog.listProducts, {}, "products"))`.
 */
export async function* items<
  Req extends { pageToken?: string },
  Res extends { nextPageToken: string },
  K extends ListField<Res>,
>(call: PagedCall<Req, Res>, request: Req, field: K, options?: CallOptions): AsyncGenerator<ItemOf<Res, K>> {
  for await (const page of pages(call, request, options)) {
    yield* page[field] as Iterable<ItemOf<Res, K>>;
  }
}

/** Every item of a list in one array. */
export async function all<
  Req extends { pageToken?: string },
  Res extends { nextPageToken: string },
  K extends ListField<Res>,
>(call: PagedCall<Req, Res>, request: Req, field: K, options?: CallOptions): Promise<ItemOf<Res, K>[]> {
  const collected: ItemOf<Res, K>[] = [];
  for await (const item of items(call, request, field, options)) collected.push(item);
  return collected;
}
