// One transport to the service over the gRPC protocol (HTTP/2), with the caller's bearer token
// on every call, a deadline on every call that sets none and safe retries (retry.ts), and a
// client per service.
import type { SecureClientSessionOptions } from "node:http2";
import { createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { CatalogService } from "./gen/inventory/v1/catalog_pb.js";
import { InventoryCountService } from "./gen/inventory/v1/inventory_count_pb.js";
import { SiteService } from "./gen/inventory/v1/site_pb.js";
import { StockAdjustmentService } from "./gen/inventory/v1/stock_adjustment_pb.js";
import { retrySafeCalls, type RetryOptions } from "./retry.js";

export const DEFAULT_ADDRESS = "127.0.0.1:50051";
export const DEFAULT_TIMEOUT_MS = 10_000;

export interface ConnectOptions {
  /** host:port of the service (INVENTORY_ADDRESS); DEFAULT_ADDRESS when unset. */
  address?: string;
  /** A JWT sent as `authorization: Bearer <token>` (INVENTORY_TOKEN); none when unset. */
  token?: string;
  /**
   * Deadline of every call, streams included, that passes no `timeoutMs` of its own
   * (DEFAULT_TIMEOUT_MS when unset). A call passing `timeoutMs: 0` has none: long-lived
   * streams such as ScannerSession's do that.
   */
  timeoutMs?: number;
  /** TLS: `true` with the system's CAs, or Node's options (ca, and cert + key for mTLS). */
  tls?: true | SecureClientSessionOptions;
  /** More interceptors (logging, request ids), run after the token's. */
  interceptors?: Interceptor[];
  /**
   * Unary calls safe to repeat (reads; writes with a request_id, filled in when empty) are
   * retried after a connection-level failure (retry.ts), within their deadline; `false` sends
   * every call once.
   */
  retry?: RetryOptions | false;
}

export interface InventoryClient {
  readonly catalog: Client<typeof CatalogService>;
  readonly counts: Client<typeof InventoryCountService>;
  readonly adjustments: Client<typeof StockAdjustmentService>;
  readonly sites: Client<typeof SiteService>;
  readonly transport: Transport;
}

/** Options from INVENTORY_ADDRESS and INVENTORY_TOKEN. */
export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): ConnectOptions {
  const address = env.INVENTORY_ADDRESS?.trim();
  const token = env.INVENTORY_TOKEN?.trim();
  return { address: address || DEFAULT_ADDRESS, token: token || undefined };
}

/** Sends `authorization: Bearer <token>` on every call. */
export function bearerToken(token: string): Interceptor {
  return (next) => (request) => {
    request.header.set("authorization", `Bearer ${token}`);
    return next(request);
  };
}

export function createInventoryClient(options: ConnectOptions = {}): InventoryClient {
  const transport = createGrpcTransport({
    baseUrl: `${options.tls ? "https" : "http"}://${options.address ?? DEFAULT_ADDRESS}`,
    nodeOptions: typeof options.tls === "object" ? options.tls : undefined,
    interceptors: [
      ...(options.retry === false ? [] : [retrySafeCalls(options.retry)]),
      ...(options.token ? [bearerToken(options.token)] : []),
      ...(options.interceptors ?? []),
    ],
    defaultTimeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    // Scanners hold streams for hours over Wi-Fi: pings find a dead connection. The server
    // closes a connection that pings more often than every 10 s.
    pingIntervalMs: 30_000,
    pingTimeoutMs: 10_000,
  });
  return {
    catalog: createClient(CatalogService, transport),
    counts: createClient(InventoryCountService, transport),
    adjustments: createClient(StockAdjustmentService, transport),
    sites: createClient(SiteService, transport),
    transport,
  };
}
