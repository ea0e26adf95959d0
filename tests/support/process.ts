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
