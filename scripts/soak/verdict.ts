/** The soak's judgement: does memory or the database grow without bound, and did anything break. */
import { median } from "../../bench/lib/processes.ts";
import type { Sample } from "./sampler.ts";

export interface Check {
  name: string;
  /** `undefined`: not judged (too few samples, or the figure is not known in this mode). */
  ok: boolean | undefined;
  detail: string;
}

/** Growth past both is a leak: a relative bound alone trips on small heaps, an absolute one on large. */
export const RSS_TOLERANCE = { share: 0.25, mb: 50 };
export const HEAP_TOLERANCE = { share: 0.25, mb: 25 };
/** DB bytes per stored event may rise by this share from the middle third to the last. */
export const DB_PER_EVENT_TOLERANCE = 0.5;
export const MAX_SNAPSHOT_ROWS = 2;
/** Fewer samples than this and the thirds are too thin to compare. */
export const MIN_SAMPLES_FOR_TRENDS = 6;

export interface RunFacts {
  samples: Sample[];
  /** Set when the server process exited, or stopped answering, during the run. */
  crashed?: string;
  failed: number;
  failures: string[];
  disconnects: string[];
  /** Snapshot rows at the end, when the data directory is known. */
  snapshotRows: number | null;
}

/** The middle and last thirds of the samples (the first third is warm-up). */
function thirds<T>(values: T[]): { middle: T[]; last: T[] } {
  const third = Math.floor(values.length / 3);
  return { middle: values.slice(third, 2 * third), last: values.slice(2 * third) };
}

/** Least-squares slope of `value` against elapsed minutes, over the second half of the run. */
export function slopePerMinute(samples: Sample[], value: (sample: Sample) => number): number {
  const half = samples.slice(Math.floor(samples.length / 2));
  if (half.length < 2) return 0;
  const xs = half.map((sample) => sample.elapsed_s / 60);
  const ys = half.map(value);
  const meanX = xs.reduce((a, b) => a + b, 0) / xs.length;
  const meanY = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  xs.forEach((x, index) => {
    num += (x - meanX) * ((ys[index] as number) - meanY);
    den += (x - meanX) ** 2;
  });
  return den === 0 ? 0 : num / den;
}

function growthCheck(
  name: string,
  samples: Sample[],
  value: (sample: Sample) => number,
  tolerance: { share: number; mb: number },
): Check {
  if (samples.length < MIN_SAMPLES_FOR_TRENDS)
    return { name, ok: undefined, detail: `not judged: ${samples.length} samples` };
  const { middle, last } = thirds(samples.map(value));
  const before = median(middle);
  const after = median(last);
  const slope = slopePerMinute(samples, value).toFixed(2);
  const grew = after - before;
  const ok = !(grew > before * tolerance.share && grew > tolerance.mb);
  return {
    name,
    ok,
    detail: `median ${before.toFixed(1)} MB in the middle third, ${after.toFixed(1)} MB in the last (${slope} MB/min over the second half; limit +${tolerance.share * 100}% and +${tolerance.mb} MB)`,
  };
}

function databaseCheck(samples: Sample[]): Check {
  const name = "database growth";
  const known = samples.filter((sample) => sample.db_bytes_per_event !== null);
  if (known.length < MIN_SAMPLES_FOR_TRENDS)
    return { name, ok: undefined, detail: "not judged: data directory unknown or run too short" };
  const { middle, last } = thirds(known.map((sample) => sample.db_bytes_per_event as number));
  const before = median(middle);
  const after = median(last);
  return {
    name,
    ok: after <= before * (1 + DB_PER_EVENT_TOLERANCE),
    detail: `${before} bytes per stored event in the middle third, ${after} in the last (limit +${DB_PER_EVENT_TOLERANCE * 100}%)`,
  };
}

export function judge(facts: RunFacts): Check[] {
  const { samples } = facts;
  return [
    {
      name: "server alive",
      ok: facts.crashed === undefined,
      detail: facts.crashed ?? "up throughout",
    },
    growthCheck("RSS growth", samples, (sample) => sample.rss_mb, RSS_TOLERANCE),
    growthCheck("heap growth", samples, (sample) => sample.heap_used_mb, HEAP_TOLERANCE),
    databaseCheck(samples),
    facts.snapshotRows === null
      ? { name: "snapshot rows", ok: undefined, detail: "not judged: data directory unknown" }
      : {
          name: "snapshot rows",
          ok: facts.snapshotRows <= MAX_SNAPSHOT_ROWS,
          detail: `${facts.snapshotRows} rows in snapshots at the end (at most ${MAX_SNAPSHOT_ROWS})`,
        },
    {
      name: "events acknowledged",
      ok: facts.failed === 0,
      detail:
        facts.failed === 0
          ? "no event refused (429 aside)"
          : `${facts.failed} events failed: ${facts.failures.join("; ")}`,
    },
    {
      name: "dashboards connected",
      ok: facts.disconnects.length === 0,
      detail:
        facts.disconnects.length === 0
          ? "none disconnected"
          : `${facts.disconnects.length} disconnected (close ${facts.disconnects.slice(0, 3).join(", ")})`,
    },
  ];
}
