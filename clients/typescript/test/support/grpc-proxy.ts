// An HTTP/2 proxy between a client and the live server that the test controls, as a load
// balancer in the path would be: it can hold back the server's responses (acks lost on the
// way), reset the open streams (or the next call's, as its answer arrives) with an HTTP/2 error
// code, or drop its client connections.
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";

const { NGHTTP2_CANCEL } = http2.constants;

interface Pair {
  downstream: http2.ServerHttp2Stream;
  upstream: http2.ClientHttp2Stream;
}

export class GrpcProxy {
  /** While true, the server's response bytes are dropped instead of passed on. */
  holdResponses = false;
  private readonly pairs = new Set<Pair>();
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  private upstreamSession: http2.ClientHttp2Session | undefined;

  private constructor(
    private readonly server: http2.Http2Server,
    private readonly target: string,
  ) {
    server.on("session", (session) => {
      this.sessions.add(session);
      session.on("close", () => this.sessions.delete(session));
      session.on("error", () => {});
    });
    server.on("stream", (downstream, headers) => this.forward(downstream, headers));
  }

  /** A proxy on a free loopback port in front of `target` (host:port). */
  static async start(target: string): Promise<GrpcProxy> {
    const server = http2.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return new GrpcProxy(server, target);
  }

  get address(): string {
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /**
   * Resets the next call's stream with `code` once the server's answer starts to arrive (the
   * server has acted), as a connection to a dying worker does; one call only.
   */
  resetNextAnswer(code: number): void {
    this.resetAnswerWith = code;
  }

  private resetAnswerWith: number | undefined;

  /** Streams open through the proxy now. */
  get openStreams(): number {
    return this.pairs.size;
  }

  /** Resets every open stream towards the client with `code` (and cancels it upstream). */
  resetStreams(code: number): void {
    for (const { downstream, upstream } of this.pairs) {
      downstream.close(code);
      upstream.close(NGHTTP2_CANCEL);
    }
  }

  /** Drops every client connection, as when the network goes. */
  dropConnections(): void {
    for (const session of this.sessions) session.destroy();
  }

  async close(): Promise<void> {
    this.dropConnections();
    this.upstreamSession?.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private upstreamConnection(): http2.ClientHttp2Session {
    if (!this.upstreamSession || this.upstreamSession.closed || this.upstreamSession.destroyed) {
      this.upstreamSession = http2.connect(`http://${this.target}`);
      this.upstreamSession.on("error", () => {});
    }
    return this.upstreamSession;
  }

  private forward(downstream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    const request: http2.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(headers)) {
      if (!name.startsWith(":") || name === ":method" || name === ":path") request[name] = value;
    }
    const upstream = this.upstreamConnection().request(request);
    const pair = { downstream, upstream };
    this.pairs.add(pair);
    downstream.pipe(upstream);
    let trailers: http2.IncomingHttpHeaders | undefined;
    let trailersOnly = false;
    const resetWith = this.resetAnswerWith;
    this.resetAnswerWith = undefined;
    upstream.on("response", (responseHeaders) => {
      if (downstream.destroyed) return;
      if (resetWith !== undefined) {
        downstream.close(resetWith);
        upstream.close(NGHTTP2_CANCEL);
        return;
      }
      const response: http2.OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(responseHeaders)) {
        if (!name.startsWith(":") || name === ":status") response[name] = value;
      }
      // A trailers-only answer (an error before any message) ends with these headers.
      trailersOnly = upstream.endAfterHeaders;
      downstream.respond(response, trailersOnly ? { endStream: true } : { waitForTrailers: true });
    });
    upstream.on("data", (chunk: Buffer) => {
      if (!this.holdResponses && !downstream.destroyed) downstream.write(chunk);
    });
    upstream.on("trailers", (received) => (trailers = received));
    downstream.on("wantTrailers", () => downstream.sendTrailers(trailers ?? {}));
    upstream.on("end", () => {
      if (!downstream.destroyed && downstream.headersSent && !trailersOnly) downstream.end();
    });
    upstream.on("close", () => {
      this.pairs.delete(pair);
      if (!downstream.destroyed && upstream.rstCode !== http2.constants.NGHTTP2_NO_ERROR) {
        downstream.close(upstream.rstCode);
      }
    });
    downstream.on("close", () => {
      this.pairs.delete(pair);
      if (!upstream.destroyed) upstream.close(NGHTTP2_CANCEL);
    });
    upstream.on("error", () => {});
    downstream.on("error", () => {});
  }
}
