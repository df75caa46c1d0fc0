// Safe retries of unary calls: the one rule of this client for which failures are tried again
// (isConnectionFailure) and which calls may be repeated (reads, and writes carrying a request_id,
// which is filled in when empty, so the server applies a repeated write once: AIP-155).
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

export interface RetryOptions {
  /** Attempts of one call, the first included (4 unless set; 1 turns retries off). */
  maxAttempts?: number;
  /** Delay before the second attempt; it doubles each time up to maxDelayMs, jittered down. */
  initialDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * A connection-level failure: UNAVAILABLE (server restarting or draining, database briefly
 * down, connection refused or lost), and INTERNAL or UNKNOWN made by the transport (a stream
 * reset as a worker or replica dies), which carry none of the server's error details: every
 * status the service sends itself has an ErrorInfo, and its own INTERNAL is a bug a retry
 * would repeat.
 */
export function isConnectionFailure(error: unknown): boolean {
  if (!(error instanceof ConnectError)) return false;
  if (error.code === Code.Unavailable) return true;
  return (error.code === Code.Internal || error.code === Code.Unknown) && error.details.length === 0;
}

/** Reads (Get..., List...) and writes whose request has a request_id field. */
function repeatable(methodName: string, message: object): boolean {
  return /^(Get|List)[A-Z]/.test(methodName) || "requestId" in message;
}

/** Retries unary calls that are safe to repeat after a connection-level failure, within the
 * call's one deadline (its signal). */
export function retrySafeCalls(options: RetryOptions = {}): Interceptor {
  const maxAttempts = options.maxAttempts ?? 4;
  const initialDelayMs = options.initialDelayMs ?? 100;
  const maxDelayMs = options.maxDelayMs ?? 2_000;
  return (next) => async (request) => {
    if (request.stream || !repeatable(request.method.name, request.message)) {
      return next(request);
    }
    const message = request.message as { requestId?: string };
    if ("requestId" in message && !message.requestId) message.requestId = randomUUID();
    for (let attempt = 1; ; attempt++) {
      try {
        return await next(request);
      } catch (error) {
        if (attempt >= maxAttempts || !isConnectionFailure(error) || request.signal.aborted) {
          throw error;
        }
        const capped = Math.min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1));
        try {
          await sleep(capped * (1 - 0.5 * Math.random()), undefined, { signal: request.signal });
        } catch {
          throw error; // the deadline came first: the last failure is the answer
        }
      }
    }
  };
}
