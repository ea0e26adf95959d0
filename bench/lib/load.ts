import { join } from "node:path";
import { percentile } from "./processes.ts";

export interface LoadResult {
  tool: "wrk" | "bun";
  requests: number;
  requests_per_second: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
}

export const hasWrk = Bun.which("wrk") !== null;

/**
 * Posts realistic events to `url` over keep-alive connections for `seconds`, from its own process:
 * wrk when installed (Debian's `wrk`), a Bun load generator otherwise.
 */
export async function runLoad(options: {
  url: string;
  connections: number;
  seconds: number;
  batch?: number;
  /** Where to post (the baselines answer any path); /api/events by default. */
  path?: string;
  /** Extra request headers (a browser's User-Agent, `Prefer`), for the Bun load generator. */
  headers?: Record<string, string>;
}): Promise<LoadResult> {
  const batch = options.batch ?? 1;
  if (hasWrk && options.path === undefined && options.headers === undefined) {
    const child = Bun.spawn(
      [
        "wrk",
        "-t1",
        `-c${options.connections}`,
        `-d${options.seconds}s`,
        "--timeout",
        "10s",
        "-s",
        join(import.meta.dir, "wrk-events.lua"),
        options.url,
      ],
      { env: { ...process.env, BATCH: String(batch) }, stdout: "pipe", stderr: "pipe" },
    );
    const output = await new Response(child.stdout).text();
    await child.exited;
    const line = output.split("\n").find((text) => text.startsWith("JSON "));
    if (!line)
      throw new Error(
        `wrk printed no result:\n${output}\n${await new Response(child.stderr).text()}`,
      );
    const raw = JSON.parse(line.slice(5)) as Record<string, number>;
    return {
      tool: "wrk",
      requests: raw.requests as number,
      requests_per_second: (raw.requests as number) / ((raw.duration_us as number) / 1e6),
      p50_ms: (raw.p50_us as number) / 1000,
      p99_ms: (raw.p99_us as number) / 1000,
      errors: (raw.non2xx as number) + (raw.socket_errors as number),
    };
  }
  const child = Bun.spawn(
    [
      process.execPath,
      join(import.meta.dir, "load-generator.ts"),
      // The same path wrk's script posts to (the baselines answer any path).
      new URL(options.path ?? "/api/events", options.url).href,
      String(options.connections),
      String(options.seconds),
      String(batch),
    ],
    {
      stdout: "pipe",
      stderr: "inherit",
      env: { ...process.env, LOAD_HEADERS: JSON.stringify(options.headers ?? {}) },
    },
  );
  const output = await new Response(child.stdout).text();
  await child.exited;
  return { tool: "bun", ...(JSON.parse(output) as Omit<LoadResult, "tool">) };
}

/** Used by the Bun load generator process. */
export function latencySummary(latencies: number[], seconds: number, errors: number) {
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    requests_per_second: latencies.length / seconds,
    p50_ms: percentile(latencies, 50),
    p99_ms: percentile(latencies, 99),
    errors,
  };
}
