import type { VisitorEvent } from "../interfaces/analytics.ts";
import { OTHER } from "./key-cap.ts";

/**
 * The most list content (sessions, events) one read answer built from the live state carries,
 * in estimated bytes of JSON: anonymous ingestion decides how long pages, journeys and metadata
 * are, so without it `/api/analytics/sessions?limit=1000` could reach ~100 MB.
 */
export const ANSWER_MAX_BYTES = 256 * 1024;

/** Printable ASCII but `"` and `\`: such a string takes its length in JSON, plus its quotes. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: escaped characters are the point.
const ESCAPED = /["\\\u0000-\u001f]/g;

/**
 * A string's bytes in UTF-8 JSON, quotes included; never less than JSON.stringify's. O(length),
 * and only the strings an answer carries are measured, so a read costs about its budget.
 */
export function jsonStringBytes(value: string): number {
  if (PLAIN.test(value)) return value.length + 2;
  // Escaping adds at most five bytes a character (`\u001f`); most add one (`\"`, `\n`).
  return Buffer.byteLength(value) + 5 * (value.match(ESCAPED)?.length ?? 0) + 2;
}

/** A number, boolean or null in JSON: at most 24 characters. */
const SCALAR_BYTES = 24;
/** An event's keys, punctuation, types and ISO times beside its free strings. */
const EVENT_OVERHEAD = 256;

/** An event's estimated bytes in JSON. */
export function eventBytes(event: VisitorEvent): number {
  let bytes = EVENT_OVERHEAD;
  for (const value of [event.page, event.session_id, event.site, event.country, event.device])
    bytes += jsonStringBytes(value);
  for (const value of [event.name, event.host, event.title, event.referrer, event.user_id])
    if (value !== undefined) bytes += jsonStringBytes(value);
  for (const [key, value] of Object.entries(event.metadata)) {
    bytes += jsonStringBytes(key) + 2;
    bytes += typeof value === "string" ? jsonStringBytes(value) : SCALAR_BYTES;
  }
  return bytes;
}

/** One `"key":count,` of a count map. */
const countBytes = (key: string) => jsonStringBytes(key) + 2 + SCALAR_BYTES;

/** A count map's estimated bytes in JSON. */
export function countsBytes(counts: Readonly<Record<string, number>>): number {
  let bytes = 2;
  for (const key of Object.keys(counts)) bytes += countBytes(key);
  return bytes;
}

export interface Taken<T> {
  items: T[];
  bytes: number;
  /** True when items were left out because the next would not fit. */
  truncated: boolean;
}

/** Items in order while their bytes fit `maxBytes`; always the first, so no answer is empty for it. */
export function takeWithinBytes<T>(
  items: Iterable<T>,
  maxBytes: number,
  bytesOf: (item: T) => number,
): Taken<T> {
  const taken: Taken<T> = { items: [], bytes: 0, truncated: false };
  for (const item of items) {
    const bytes = bytesOf(item) + 1;
    if (taken.items.length > 0 && taken.bytes + bytes > maxBytes) {
      taken.truncated = true;
      break;
    }
    taken.items.push(item);
    taken.bytes += bytes;
  }
  return taken;
}

/**
 * `counts` as is when it fits `maxBytes`; otherwise its largest counts (ties by key) while they
 * fit, the rest summed into `(other)`, as `pages_visited` does past STATS_MAX_PAGES.
 */
export function countsWithinBytes(
  counts: Record<string, number>,
  maxBytes: number,
): Record<string, number> {
  if (countsBytes(counts) <= maxBytes) return counts;
  let other = counts[OTHER] ?? 0;
  const ranked = Object.entries(counts)
    .filter(([key]) => key !== OTHER)
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
  const kept = takeWithinBytes(ranked, maxBytes - 2 - countBytes(OTHER), ([key]) =>
    countBytes(key),
  );
  const bounded: Record<string, number> = Object.create(null);
  for (const [key, count] of kept.items) bounded[key] = count;
  for (const [, count] of ranked.slice(kept.items.length)) other += count;
  if (other > 0) bounded[OTHER] = other;
  return bounded;
}

/**
 * The most `pages_visited` lists in estimated bytes (beside STATS_MAX_PAGES); the rest is summed
 * as `(other)`. Every ingestion answer carries it: 100 pages of 2,048 characters were ~600 KB.
 */
export const STATS_MAX_BYTES = 64 * 1024;
/** The most `country_breakdown` and `device_breakdown` each list in estimated bytes; the rest is `(other)`. */
export const BREAKDOWN_MAX_BYTES = 16 * 1024;
/** `detailed()`'s keys, figures and times beside its maps and lists. */
export const DETAILED_OVERHEAD = 1024;
