import type { VisitorEvent } from "../interfaces/analytics.ts";
import type { AlertDetectorState } from "./alert-detector.ts";
import type { CompatCountersState } from "./compat-counters.ts";
import type { DailyCountersState } from "./daily-counters.ts";
import type { SessionTrackerState } from "./session.ts";
import type { FilteredDistinctState } from "./sliding-windows.ts";

/** What a snapshot holds: each stateful projection's state under its name. */
export interface LiveState {
  store: AnalyticsStoreState;
  compat: CompatCountersState;
  /** Absent in snapshots written before alert state was kept. */
  alerts?: AlertDetectorState;
}

export interface AnalyticsStoreOptions {
  sessionTimeoutMs: number;
  maxActiveSessions: number;
  maxTrackedKeys: number;
  /** UTF-8 bytes of each kind of distinct key counted per day (default: no byte budget). */
  maxTrackedKeyBytes?: number;
  /** Most pages any `pages_visited` lists (default 100). */
  statsMaxPages?: number;
  /** Byte budget of the active sessions and their strings (default: none). */
  maxLiveStateBytes?: number;
  /** Bytes of the lists (sessions, recent events) in one read answer (default ANSWER_MAX_BYTES). */
  answerMaxBytes?: number;
}

export interface AnalyticsStoreState {
  sessions: SessionTrackerState;
  today: DailyCountersState;
  visitors: [string, number][];
  /** Absent in snapshots written before "visitors right now" was kept. */
  visitorsNow?: FilteredDistinctState;
  eventRate: { buckets: number[]; seconds: number[] };
  recent: VisitorEvent[];
  eventsReceived: number;
}
