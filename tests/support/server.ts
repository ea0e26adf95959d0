import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../config/index.ts";
import { type ServerFrameType, serverFrameSchema } from "../../schemas/websocket-protocol.ts";
import { type RunningServer, type StartOptions, startServer } from "../../server.ts";

export const TEST_TOKEN = "test-token-0123456789abcdef";

export interface TestServer extends RunningServer {
  readonly dataDir: string;
  readonly wsUrl: string;
  /** fetch against the server; `auth: true` adds the bearer token. */
  request(path: string, init?: RequestInit & { auth?: boolean }): Promise<Response>;
  postEvent(
    body: unknown,
    init?: { contentType?: string; headers?: Record<string, string> },
  ): Promise<Response>;
  stop(): Promise<void>;
}

/** A real Bun.serve on port 0 with its own temporary DATA_DIR (removed on stop), unless one is given. */
export function startTestServer(
  env: Record<string, string> = {},
  options: StartOptions = {},
): TestServer {
  const ownsDataDir = env.DATA_DIR === undefined;
  const dataDir = env.DATA_DIR ?? mkdtempSync(join(tmpdir(), "footfall-test-"));
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    API_TOKEN: TEST_TOKEN,
    DATA_DIR: dataDir,
    LOG_LEVEL: "silent",
    NODE_ENV: "test",
    RATE_LIMIT_PER_MINUTE: "0",
    ...env,
  });
  const running = startServer(config, options);
  const { url } = running;
  const request = (path: string, init: RequestInit & { auth?: boolean } = {}) => {
    const { auth, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (auth) headers.set("authorization", `Bearer ${TEST_TOKEN}`);
    return fetch(url + path, { ...rest, headers });
  };
  return {
    ...running,
    shutdown: running.shutdown,
    dataDir,
    wsUrl: `${url.replace(/^http/, "ws")}/ws?token=${TEST_TOKEN}`,
    request,
    postEvent: (body, init = {}) =>
      request("/api/events", {
        method: "POST",
        headers: { "content-type": init.contentType ?? "application/json", ...init.headers },
        body: typeof body === "string" ? body : JSON.stringify(body),
      }),
    async stop() {
      await running.shutdown();
      if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function pageview(sessionId: string, page = "/", extra: Record<string, unknown> = {}) {
  return { type: "pageview", page, session_id: sessionId, ...extra };
}

/**
 * A server frame as tests read it: its type one of the protocol's (a typo does not compile), its
 * data loosely typed; every frame received is also checked against the protocol's schema.
 */
export interface Frame {
  type: ServerFrameType;
  data: Record<string, unknown> & { [key: string]: unknown };
}

/**
 * A real WebSocket client that records every frame and can wait for one. Each frame is validated
 * with the protocol's schema; `protocolErrors` lists those that did not match it.
 */
export class DashboardClient {
  readonly frames: Frame[] = [];
  readonly protocolErrors: string[] = [];
  private waiters: { match: (frame: Frame) => boolean; resolve: (frame: Frame) => void }[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly socket: WebSocket;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.addEventListener("message", (message) => {
      const frame = JSON.parse(String(message.data)) as Frame;
      const checked = serverFrameSchema.safeParse(frame);
      if (!checked.success) {
        this.protocolErrors.push(`${String(frame.type)}: ${checked.error.message}`);
      }
      this.frames.push(frame);
      this.waiters = this.waiters.filter((waiter) => {
        if (!waiter.match(frame)) return true;
        waiter.resolve(frame);
        return false;
      });
    });
    this.closed = new Promise((resolve) =>
      socket.addEventListener("close", (event) =>
        resolve({ code: event.code, reason: event.reason }),
      ),
    );
  }

  static connect(url: string): Promise<DashboardClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      const client = new DashboardClient(socket);
      socket.addEventListener("open", () => resolve(client), { once: true });
      socket.addEventListener("error", () => reject(new Error(`could not connect to ${url}`)), {
        once: true,
      });
    });
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** Resolves with the first frame (already received or still to come) that matches. */
  next(
    type: ServerFrameType,
    match: (frame: Frame) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<Frame> {
    const seen = this.frames.find((frame) => frame.type === type && match(frame));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `no ${type} frame within ${timeoutMs} ms; got ${this.frames.map((f) => f.type).join(", ")}`,
            ),
          ),
        timeoutMs,
      );
      this.waiters.push({
        match: (frame) => frame.type === type && match(frame),
        resolve: (frame) => {
          clearTimeout(timer);
          resolve(frame);
        },
      });
    });
  }

  ofType(type: ServerFrameType): Frame[] {
    return this.frames.filter((frame) => frame.type === type);
  }

  clear(): void {
    this.frames.length = 0;
  }

  close(): void {
    this.socket.close();
  }
}

export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await Bun.sleep(20);
  }
  throw new Error("condition not met in time");
}

export function temporaryDataDir(): string {
  return mkdtempSync(join(tmpdir(), "footfall-data-"));
}
