// A handheld scanner's session: StreamCountItems over a flaky connection, nothing lost.
//
// The session keeps every entry until the server acknowledges it (an ack means stored). When
// the stream breaks it reconnects after an exponential, jittered, capped backoff and sends
// again every entry without an ack, with the same entry_id, so the server applies each entry
// exactly once. The same design as the Python client's ScannerSession.
//
//   const session = new ScannerSession(client.counts, { deviceId: "scanner-7" });
//   session.start();
//   await session.put({ inventoryCountId, product: { selector: { case: "sku", value: "A-1" } }, quantity: 1n });
//   await session.close(); // waits until every entry is acknowledged
import { randomUUID } from "node:crypto";
import { create, isMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import {
  CountEntrySchema,
  StreamCountItemsRequestSchema,
  type CountEntry,
  type CountEntryAck,
  type InventoryCountService,
  type StreamCountItemsRequest,
  type StreamCountItemsResponse,
} from "./gen/inventory/v1/inventory_count_pb.js";

/**
 * Statuses that end the session: retrying cannot help (bad token, role or request). Any other
 * end of a stream (UNAVAILABLE from a restart, CANCELLED or INTERNAL from a connection reset
 * by a load balancer, ...) is resumed, unless the session itself was aborted.
 */
export const FATAL_CODES: ReadonlySet<Code> = new Set([
  Code.Unauthenticated,
  Code.PermissionDenied,
  Code.InvalidArgument,
  Code.NotFound,
  Code.AlreadyExists,
  Code.FailedPrecondition,
  Code.OutOfRange,
  Code.Unimplemented,
]);

/**
 * Delay before reconnect attempt n (0-based): initialMs * multiplier**n, capped at maximumMs,
 * then lowered by up to `jitter` of itself at random so a fleet does not reconnect in step.
 */
export interface Backoff {
  initialMs: number;
  multiplier: number;
  maximumMs: number;
  jitter: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 200, multiplier: 2, maximumMs: 15_000, jitter: 0.5 };

export function backoffDelayMs(backoff: Backoff, attempt: number, random: () => number = Math.random): number {
  const capped = Math.min(backoff.maximumMs, backoff.initialMs * backoff.multiplier ** Math.min(attempt, 64));
  return capped * (1 - backoff.jitter * random());
}

/** Progress counters; read them at any time. */
export interface ScannerStats {
  /** Entries given to the session. */
  queued: number;
  /** Entries written to a stream, resends included. */
  sent: number;
  /** Of which resends after a reconnect. */
  resent: number;
  /** Stored (duplicates included). */
  acked: number;
  /** Acks saying the entry had been stored before. */
  duplicates: number;
  /** Acks carrying an error (the entry is not stored). */
  rejected: number;
  reconnects: number;
  lastError: string;
}

/** The stream failed with a status that retrying cannot fix (see FATAL_CODES). */
export class SessionFailed extends Error {
  readonly code: Code;
  constructor(readonly error: ConnectError) {
    super(`${Code[error.code]}: ${error.rawMessage}`);
    this.name = "SessionFailed";
    this.code = error.code;
  }
}

export type CountEntryInit = CountEntry | MessageInitShape<typeof CountEntrySchema>;

export interface ScannerSessionOptions {
  deviceId: string;
  /** Sent on every stream, e.g. an authorization header when the client has no token. */
  headers?: Record<string, string>;
  /** Entries packed into one request (1 = one message per beep). */
  maxEntriesPerMessage?: number;
  /** Entries held without an ack before put() waits (bounded memory). */
  maxUnacked?: number;
  backoff?: Partial<Backoff>;
  onAck?: (entry: CountEntry, ack: CountEntryAck) => void;
  onReconnect?: (attempt: number, delayMs: number, reason: string) => void;
  random?: () => number;
}

interface Pending {
  entry: CountEntry;
  sends: number;
}

interface OpenStream {
  /** Entry ids to write, in order; every unacked entry when the stream opens. */
  unsent: string[];
  ended: boolean;
}

/** A promise with its resolve function, to wake waiters. */
class Signal {
  private resolveNow!: () => void;
  readonly promise = new Promise<void>((resolve) => (this.resolveNow = resolve));
  fire(): void {
    this.resolveNow();
  }
}

type CountsClient = Pick<Client<typeof InventoryCountService>, "streamCountItems">;

/** One scanner's stream of count entries, resilient to broken connections. */
export class ScannerSession {
  readonly deviceId: string;
  readonly stats: ScannerStats = {
    queued: 0,
    sent: 0,
    resent: 0,
    acked: 0,
    duplicates: 0,
    rejected: 0,
    reconnects: 0,
    lastError: "",
  };
  private readonly headers: Record<string, string>;
  private readonly perMessage: number;
  private readonly maxUnacked: number;
  private readonly backoff: Backoff;
  /** Entries without an ack, in the order they were given (a Map keeps insertion order). */
  private readonly pending = new Map<string, Pending>();
  private readonly abortController = new AbortController();
  private stream: OpenStream | undefined;
  private wakeWriter = new Signal();
  private progress = new Signal();
  private closing = false;
  private failure: Error | undefined;
  private task: Promise<void> | undefined;
  private running = false;

  constructor(
    private readonly counts: CountsClient,
    private readonly options: ScannerSessionOptions,
  ) {
    this.deviceId = options.deviceId;
    this.perMessage = options.maxEntriesPerMessage ?? 100;
    this.maxUnacked = options.maxUnacked ?? 10_000;
    if (this.perMessage < 1 || this.maxUnacked < 1) {
      throw new RangeError("maxEntriesPerMessage and maxUnacked must be at least 1");
    }
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.headers = { ...options.headers, "x-device-id": options.deviceId };
  }

  // -- the caller's side -----------------------------------------------------------------

  start(): this {
    if (!this.task) {
      this.running = true;
      this.task = this.run();
    }
    return this;
  }

  get unackedCount(): number {
    return this.pending.size;
  }

  /** Entries still waiting for an ack, oldest first (to keep them across a restart). */
  unacked(): CountEntry[] {
    return [...this.pending.values()].map((pending) => pending.entry);
  }

  /**
   * Queues one entry (giving it an entryId when it has none) and returns its id. Waits while
   * maxUnacked entries are already waiting for their acks.
   */
  async put(init: CountEntryInit): Promise<string> {
    if (this.closing) throw new Error("the session is closing");
    while (this.pending.size >= this.maxUnacked) await this.waitForProgress();
    this.raiseIfFailed();
    const entry = isMessage(init, CountEntrySchema) ? init : create(CountEntrySchema, init);
    if (!entry.entryId) entry.entryId = randomUUID();
    if (!this.pending.has(entry.entryId)) {
      this.pending.set(entry.entryId, { entry, sends: 0 });
      this.stats.queued += 1;
      if (this.stream) {
        this.stream.unsent.push(entry.entryId);
        this.wakeWriter.fire();
      }
    }
    return entry.entryId;
  }

  async putMany(entries: Iterable<CountEntryInit>): Promise<void> {
    for (const entry of entries) await this.put(entry);
  }

  /** Waits until every queued entry has its ack (stored or rejected). */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await this.waitForProgress();
    this.raiseIfFailed();
  }

  /**
   * Waits for every ack, then ends the stream. To bound the wait, race it with a timer and
   * abort() on timeout; unacked() lists what was not acknowledged.
   */
  async close(): Promise<void> {
    await this.drain();
    this.closing = true;
    this.wakeWriter.fire();
    await this.task;
    this.raiseIfFailed();
  }

  /** Drops the stream at once and never reconnects; unacked entries stay in unacked(). */
  async abort(): Promise<void> {
    this.closing = true;
    this.abortController.abort();
    this.wakeWriter.fire();
    await this.task;
  }

  private raiseIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  private async waitForProgress(): Promise<void> {
    this.raiseIfFailed();
    if (!this.task) throw new Error("start() the session first");
    if (!this.running) throw new Error("the session has stopped");
    await this.progress.promise;
  }

  /** Wakes every waiter once; later waiters wait for the next change. */
  private notify(): void {
    const progress = this.progress;
    this.progress = new Signal();
    progress.fire();
  }

  // -- the connection's side -------------------------------------------------------------

  private get aborted(): boolean {
    return this.abortController.signal.aborted;
  }

  private async run(): Promise<void> {
    let attempt = 0;
    try {
      while (!this.aborted) {
        const answered = this.stats.acked + this.stats.rejected;
        let reason = "stream ended";
        try {
          await this.streamOnce();
        } catch (error) {
          if (this.aborted) return; // our own cancel: never resume after it
          const connectError = ConnectError.from(error);
          if (FATAL_CODES.has(connectError.code)) {
            this.failure = new SessionFailed(connectError);
            return;
          }
          reason = `${Code[connectError.code]}: ${connectError.rawMessage}`;
        }
        if (this.aborted || (this.closing && this.pending.size === 0)) return;
        this.stats.lastError = reason;
        // A stream that got acks resets the backoff; one that got none grows it.
        attempt = this.stats.acked + this.stats.rejected > answered ? 0 : attempt + 1;
        const delayMs = backoffDelayMs(this.backoff, attempt, this.options.random);
        this.stats.reconnects += 1;
        this.options.onReconnect?.(attempt, delayMs, reason);
        await this.sleep(delayMs);
      }
    } catch (error) {
      // A bug or a callback's error: surface it to the caller.
      this.failure = error instanceof Error ? error : new Error(String(error));
    } finally {
      this.running = false;
      this.notify();
    }
  }

  private sleep(ms: number): Promise<void> {
    const signal = this.abortController.signal;
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
    });
  }

  private async streamOnce(): Promise<void> {
    // Every entry without an ack goes again, in its original order.
    const stream: OpenStream = { unsent: [...this.pending.keys()], ended: false };
    this.stream = stream;
    try {
      const responses = this.counts.streamCountItems(this.requests(stream), {
        headers: this.headers,
        signal: this.abortController.signal,
        timeoutMs: 0, // a shift-long stream: no deadline
      });
      for await (const response of responses) this.onResponse(response);
    } finally {
      this.stream = undefined;
      stream.ended = true;
      this.wakeWriter.fire();
    }
  }

  /** The request side of one stream. An async generator: Connect ends it with return(). */
  private async *requests(stream: OpenStream): AsyncGenerator<StreamCountItemsRequest> {
    // The first message names the device even when there is nothing to send yet.
    let deviceId = this.deviceId;
    while (!stream.ended) {
      const entries: CountEntry[] = [];
      while (stream.unsent.length > 0 && entries.length < this.perMessage) {
        const pending = this.pending.get(stream.unsent.shift()!);
        if (!pending) continue; // answered meanwhile
        entries.push(pending.entry);
        if (pending.sends > 0) this.stats.resent += 1;
        pending.sends += 1;
      }
      if (entries.length > 0 || deviceId) {
        this.stats.sent += entries.length;
        yield create(StreamCountItemsRequestSchema, { deviceId, entries });
        deviceId = "";
        continue;
      }
      if (this.closing) return; // ends the request side; the server then ends the stream
      this.wakeWriter = new Signal();
      await this.wakeWriter.promise;
    }
  }

  private onResponse(response: StreamCountItemsResponse): void {
    for (const ack of response.acks) {
      const pending = this.pending.get(ack.entryId);
      if (!pending) continue; // an ack for an entry answered already
      this.pending.delete(ack.entryId);
      if (ack.result.case === "error") {
        this.stats.rejected += 1;
      } else {
        this.stats.acked += 1;
        if (ack.duplicate) this.stats.duplicates += 1;
      }
      this.options.onAck?.(pending.entry, ack);
    }
    this.notify();
  }
}
