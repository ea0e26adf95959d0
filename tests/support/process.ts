import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";

const ROOT = join(import.meta.dir, "..", "..");

export interface ServerProcess {
  readonly process: Subprocess<"ignore", "pipe", "pipe">;
  readonly url: string;
  readonly dataDir: string;
  /** Everything the process printed on stdout so far. */
  output(): string;
  errors(): string;
  /** Kills the process if it still runs and removes a DATA_DIR this helper created. */
  dispose(): Promise<void>;
}

async function freePort(): Promise<number> {
  const probe = Bun.serve({ port: 0, fetch: () => new Response() });
  const { port } = probe;
  await probe.stop(true);
  return port as number;
}

/** Starts `bun index.ts` as a real process, as `npm start` does, and waits for /health. */
export async function spawnServer(env: Record<string, string> = {}): Promise<ServerProcess> {
  const ownsDataDir = env.DATA_DIR === undefined;
  const dataDir = env.DATA_DIR ?? mkdtempSync(join(tmpdir(), "footfall-proc-"));
  const port = Number(env.PORT ?? (await freePort()));
  const child = Bun.spawn([process.execPath, "index.ts"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      ...env,
      PORT: String(port),
      DATA_DIR: dataDir,
    },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let stdout = "";
  let stderr = "";
  const collect = async (stream: ReadableStream<Uint8Array>, append: (text: string) => void) => {
    const reader = stream.getReader();
    const decoder = new TextDecoder();
    while (true) {
      const { done, value } = await reader.read();
      if (done) return;
      append(decoder.decode(value));
    }
  };
  void collect(child.stdout, (text) => {
    stdout += text;
  });
  void collect(child.stderr, (text) => {
    stderr += text;
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      await Bun.sleep(50);
    }
  }
  return {
    process: child,
    url,
    dataDir,
    output: () => stdout,
    errors: () => stderr,
    async dispose() {
      if (child.exitCode === null) child.kill("SIGKILL");
      await child.exited;
      if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface RequestInFlight {
  /** Sends the rest of the body. */
  finish(): void;
  /** The status of the final answer (after any 100 Continue), or 0 if the connection closed first. */
  readonly status: Promise<number>;
  close(): void;
}

/**
 * A JSON POST over a raw socket that is provably in flight when this resolves: the server has
 * taken its headers and dispatched it (it answered `Expect: 100-continue`), and only the first
 * `sentBytes` of the body have been sent.
 */
export async function postInFlight(
  url: string,
  path: string,
  body: string,
  sentBytes = 10,
): Promise<RequestInFlight> {
  const { hostname, port } = new URL(url);
  const decoder = new TextDecoder();
  let received = "";
  let closed = false;
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const listener of listeners) listener();
  };
  const until = <T>(read: () => T | undefined) =>
    new Promise<T>((resolve) => {
      const check = () => {
        const value = read();
        if (value === undefined) return;
        listeners.delete(check);
        resolve(value);
      };
      listeners.add(check);
      check();
    });
  const socket = await Bun.connect({
    hostname,
    port: Number(port),
    socket: {
      data(_socket, chunk) {
        received += decoder.decode(chunk);
        changed();
      },
      close() {
        closed = true;
        changed();
      },
    },
  });
  const bytes = new TextEncoder().encode(body);
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${bytes.length}\r\nExpect: 100-continue\r\n\r\n`,
  );
  socket.write(bytes.subarray(0, sentBytes));
  await until(() => (/^HTTP\/1\.1 100 /.test(received) ? true : closed ? true : undefined));
  if (!/^HTTP\/1\.1 100 /.test(received)) throw new Error(`no 100 Continue: ${received}`);
  const status = until(() => {
    const final = /HTTP\/1\.1 ([2-5]\d\d) /.exec(received);
    if (final) return Number(final[1]);
    return closed ? 0 : undefined;
  });
  return {
    finish: () => socket.write(bytes.subarray(sentBytes)),
    status,
    close: () => socket.end(),
  };
}
