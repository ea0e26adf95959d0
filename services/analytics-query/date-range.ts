import type { StatsQueryInput, TimeDimension } from "../../schemas/stats-query.ts";
import { utcDay } from "../clock.ts";

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;
/** Buckets a time dimension may list (an hourly `all` over years would be millions). */
export const MAX_TIME_BUCKETS = 10_000;

/** A range of whole UTC days: `from` inclusive, `to` exclusive, epoch ms. */
export interface DayRange {
  from: number;
  to: number;
}

/** A request the range rules cannot answer (a 400 naming it). */
export class QueryRangeError extends Error {}

const dayStart = (day: string) => Date.parse(`${day}T00:00:00Z`);

function monthStart(ms: number, monthsBack = 0): number {
  const date = new Date(ms);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() - monthsBack, 1);
}

/**
 * The days a query covers. `7d`, `30d` and `12mo` end today and include it; `day` and `month`
 * are those of `date` (default today); `all` starts on `firstSeen`'s day.
 */
export function resolveRange(
  input: Pick<StatsQueryInput, "date_range" | "period" | "from" | "to" | "date">,
  now: number,
  firstSeen: () => number | undefined,
): DayRange {
  const today = dayStart(utcDay(now));
  const anchor = input.date === undefined ? today : dayStart(input.date);
  let range: DayRange;
  if (input.from !== undefined && input.to !== undefined) {
    range = { from: dayStart(input.from), to: dayStart(input.to) + DAY_MS };
  } else if (Array.isArray(input.date_range)) {
    range = { from: dayStart(input.date_range[0]), to: dayStart(input.date_range[1]) + DAY_MS };
  } else {
    switch (input.date_range ?? input.period ?? "30d") {
      case "day":
        range = { from: anchor, to: anchor + DAY_MS };
        break;
      case "7d":
        range = { from: today - 6 * DAY_MS, to: today + DAY_MS };
        break;
      case "30d":
        range = { from: today - 29 * DAY_MS, to: today + DAY_MS };
        break;
      case "month":
        range = { from: monthStart(anchor), to: monthStart(anchor, -1) };
        break;
      case "12mo":
        range = { from: monthStart(today, 11), to: today + DAY_MS };
        break;
      case "all": {
        const first = firstSeen();
        range = { from: first === undefined ? today : dayStart(utcDay(first)), to: today + DAY_MS };
        break;
      }
    }
  }
  if (range.from >= range.to) throw new QueryRangeError("the range's first day is after its last");
  return range;
}

/** The same number of days just before. */
export function previousPeriod(range: DayRange): DayRange {
  return { from: 2 * range.from - range.to, to: range.from };
}

/** How a time dimension cuts a range into buckets: index by integer arithmetic, label each. */
export interface TimeBuckets {
  count: number;
  /** The first instant of every bucket after the first (months: their boundaries). */
  boundaries: number[];
  /** Fixed width in ms (hours, days); 0 for months. */
  width: number;
  label(index: number): string;
}

export function timeBuckets(dimension: TimeDimension, range: DayRange): TimeBuckets {
  if (dimension === "time:month") {
    const starts: number[] = [];
    for (let start = monthStart(range.from); start < range.to; start = monthStart(start, -1))
      starts.push(start);
    return {
      count: starts.length,
      boundaries: starts.slice(1),
      width: 0,
      label: (index) => utcDay(starts[index] ?? range.from),
    };
  }
  const width = dimension === "time:hour" ? HOUR_MS : DAY_MS;
  const count = Math.ceil((range.to - range.from) / width);
  if (count > MAX_TIME_BUCKETS)
    throw new QueryRangeError(
      `${dimension} over that range makes ${count} buckets; at most ${MAX_TIME_BUCKETS}`,
    );
  return {
    count,
    boundaries: [],
    width,
    label: (index) => {
      const iso = new Date(range.from + index * width).toISOString();
      return width === DAY_MS ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
    },
  };
}

export function isoRange(range: DayRange): [string, string] {
  return [new Date(range.from).toISOString(), new Date(range.to - 1).toISOString()];
}
