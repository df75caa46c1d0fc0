// The live server the tests call: `inventory-service serve` on a free port (or a given one, to
// restart it in place) with a SQLite file in a temporary folder and a test JWT secret.
import { spawn, type ChildProcess } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

const JWT_SECRET = "typescript-client-tests-secret-0123456789abcdef";
const START_TIMEOUT_MS = 90_000;

/** INVENTORY_SERVER (`make test-typescript` sets it), else inventory-service on PATH. */
const SERVER_COMMAND = process.env.INVENTORY_SERVER || "inventory-service";

export function makeDataDir(): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), "inventory-ts-client-"));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export class LiveServer {
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    /** The server's JSON log lines so far. */
    readonly log: string[],
  ) {
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once("exit", () => resolve());
    });
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Starts a server on `port` (0: a free one) over the database in `dataDir`. */
  static start(dataDir: string, port = 0): Promise<LiveServer> {
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (!key.startsWith("INVENTORY_")) env[key] = value;
    }
    env.INVENTORY_JWT_SECRET = JWT_SECRET;
    env.INVENTORY_DATABASE_URL = `sqlite:///${join(dataDir, "inventory.db")}`;
    const child = spawn(SERVER_COMMAND, ["serve", "--listen", `127.0.0.1:${port}`], {
      env,
      stdio: ["ignore", "ignore", "pipe"],
    });
    const log: string[] = [];
    let started = false;
    return new Promise((resolve, reject) => {
      const fail = (why: string) => {
        child.kill("SIGKILL");
        reject(new Error(`${why} (${SERVER_COMMAND}; set INVENTORY_SERVER):\n${log.join("\n")}`));
      };
      const timer = setTimeout(() => fail("the server did not start in time"), START_TIMEOUT_MS);
      child.once("error", (error) => fail(`cannot start the server: ${error.message}`));
      child.once("exit", () => fail("the server exited"));
      // Read every log line as it comes: a full pipe would stall the server.
      createInterface({ input: child.stderr! }).on("line", (line) => {
        log.push(line);
        if (!started && isServing(line)) {
          started = true;
          clearTimeout(timer);
          child.removeAllListeners("exit");
          resolve(new LiveServer(child, JSON.parse(line).port as number, log));
        }
      });
    });
  }

  /** SIGTERM: the server drains (open streams end UNAVAILABLE) and exits. */
  async stop(): Promise<void> {
    this.child.kill("SIGTERM");
    const killed = setTimeout(() => this.child.kill("SIGKILL"), 30_000);
    await this.exited;
    clearTimeout(killed);
  }

  /** SIGKILL: the process dies at once, as in a crash. */
  async kill(): Promise<void> {
    this.child.kill("SIGKILL");
    await this.exited;
  }
}

function isServing(line: string): boolean {
  try {
    return JSON.parse(line).message === "serving";
  } catch {
    return false;
  }
}

/** An HS256 JWT for the test secret, as the service's operators mint them; valid an hour. */
export function token(subject: string, role: "staff" | "manager" | "admin"): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const signing = `${encode({ alg: "HS256", typ: "JWT" })}.${encode({ sub: subject, role, iat: now, exp: now + 3600 })}`;
  return `${signing}.${createHmac("sha256", JWT_SECRET).update(signing).digest("base64url")}`;
}
