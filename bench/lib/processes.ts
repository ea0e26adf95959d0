import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";

export const ROOT = join(import.meta.dir, "..", "..");
export const BENCH_TOKEN = "bench-token-0123456789abcdef";

export async function freePort(): Promise<number> {
  const probe = Bun.serve({ port: 0, fetch: () => new Response() });
  const port = probe.port as number;
  await probe.stop(true);
  return port;
}

export interface RunningProcess {
  url: string;
  port: number;
  child: Subprocess;
  dataDir?: string;
  /** CPU seconds (user + system) the server process has used so far. */
  cpuSeconds(): number;
  /** The same, user and system apart. */
  cpuTimes(): CpuTimes;
  stop(): Promise<void>;
}

const CLOCK_TICKS_PER_SECOND = 100;

/**
 * A process's CPU time from /proc (Linux), in seconds. On a shared machine the CPU a server spends
 * per request moves far less than its throughput, which other processes' load takes from it.
 */
export function cpuSecondsOf(pid: number): number {
  const { user, system } = cpuTimesOf(pid);
  return user + system;
}

export interface CpuTimes {
  user: number;
  system: number;
}

/** A process's user and system CPU seconds so far, from /proc (Linux). */
export function cpuTimesOf(pid: number): CpuTimes {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) closed by the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return {
    user: Number(fields[11]) / CLOCK_TICKS_PER_SECOND,
    system: Number(fields[12]) / CLOCK_TICKS_PER_SECOND,
  };
}

async function waitForHealth(url: string, child: Subprocess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {
      await Bun.sleep(10);
    }
  }
  throw new Error(`${url} did not become healthy`);
}

async function spawnServer(
  command: string[],
  port: number,
  env?: Record<string, string>,
  cwd = ROOT,
): Promise<{ url: string; child: Subprocess }> {
  const child = Bun.spawn(command, { cwd, env, stdout: "ignore", stderr: "inherit" });
  const url = `http://127.0.0.1:${port}`;
  await waitForHealth(url, child);
  return { url, child };
}

/**
 * Footfall itself, as `npm start` runs it, on a fresh (or given) DATA_DIR; from another working
 * tree (a before checked out beside the after) and with Bun's own flags (`--cpu-prof`) if asked.
 */
export async function startFootfall(
  env: Record<string, string> = {},
  { tree = ROOT, bunFlags = [] }: { tree?: string; bunFlags?: string[] } = {},
): Promise<RunningProcess> {
  const port = await freePort();
  const ownsDir = env.DATA_DIR === undefined;
  const dataDir = env.DATA_DIR ?? mkdtempSync(join(tmpdir(), "footfall-bench-"));
  const { url, child } = await spawnServer(
    [process.execPath, ...bunFlags, "index.ts"],
    port,
    {
      PATH: process.env.PATH ?? "",
      // Bun's own flags for the server under test (e.g. SERVER_BUN_OPTIONS=--smol), for A/B runs.
      ...(process.env.SERVER_BUN_OPTIONS ? { BUN_OPTIONS: process.env.SERVER_BUN_OPTIONS } : {}),
      PORT: String(port),
      HOST: "127.0.0.1",
      API_TOKEN: BENCH_TOKEN,
      LOG_LEVEL: "warn",
      RATE_LIMIT_PER_MINUTE: "0",
      MAX_DASHBOARDS: "100000",
      ...env,
      DATA_DIR: dataDir,
    },
    tree,
  );
  return running(url, port, child, dataDir, ownsDir);
}

/** Footfall's HTTP stack with ingestion cut out (see http-stack-server.ts), in its own process. */
export async function startHttpStackServer(): Promise<RunningProcess> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "footfall-bench-stack-"));
  const { url, child } = await spawnServer(
    [process.execPath, join(import.meta.dir, "http-stack-server.ts"), String(port), dataDir],
    port,
    { PATH: process.env.PATH ?? "" },
  );
  return running(url, port, child, dataDir, true);
}

/** The baseline: a bare Bun.serve that reads the body and answers 201, in its own process. */
export async function startBareServer(): Promise<RunningProcess> {
  const port = await freePort();
  const { url, child } = await spawnServer(
    [process.execPath, join(import.meta.dir, "bare-server.ts"), String(port)],
    port,
  );
  return running(url, port, child);
}

/** A spawned server; `stop` ends it with SIGTERM and removes its data directory if it owns it. */
function running(
  url: string,
  port: number,
  child: Subprocess,
  dataDir?: string,
  ownsDataDir = false,
): RunningProcess {
  return {
    url,
    port,
    child,
    dataDir,
    cpuSeconds: () => cpuSecondsOf(child.pid),
    cpuTimes: () => cpuTimesOf(child.pid),
    async stop() {
      child.kill("SIGTERM");
      await child.exited;
      if (dataDir !== undefined && ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** Median with its spread (min, max) over repeated runs, rounded for reading. */
export function summarise(samples: readonly number[], digits = 0) {
  const round = (value: number) => Number(value.toFixed(digits));
  return {
    median: round(median(samples)),
    min: round(Math.min(...samples)),
    max: round(Math.max(...samples)),
    runs: samples.length,
  };
}
