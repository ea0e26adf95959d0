import type {
  DimensionFilter,
  SessionEndReason,
  SessionView,
  VisitorEvent,
} from "../interfaces/analytics.ts";
import { CounterCube } from "./counter-cube.ts";
import { RecencyList } from "./recency-list.ts";
import { StringPool } from "./string-pool.ts";

export const JOURNEY_LIMIT = 50;
/**
 * A session ended by `session_end` resumes, journey and all, if its id comes back this soon:
 * the tracker sends `session_end` on `pagehide`, which also fires when a visitor follows a
 * link to the next page of the same site.
 */
export const RESUME_GRACE_MS = 10_000;

export interface Session {
  session_id: string;
  site: string;
  country: string;
  device: string;
  user_id?: string;
  started_at: number;
  last_activity: number;
  current_page: string;
  entry_page: string;
  journey: string[];
  journey_truncated: boolean;
  page_views: number;
}

export interface SessionTrackerState {
  active: Session[];
  recentlyEnded: { session: Session; endedAt: number }[];
}

export interface SessionTrackerOptions {
  timeoutMs: number;
  maxSessions: number;
  /** Distinct strings shared among sessions (see StringPool). */
  maxPooledStrings?: number;
  onEnded: (session: Session, reason: SessionEndReason) => void;
}

/**
 * Active sessions in order of last activity, so expiry and eviction only ever look at the
 * oldest: amortised O(1) per event.
 */
export class SessionTracker {
  private readonly sessions = new RecencyList<Session>();
  private readonly recentlyEnded = new RecencyList<{ session: Session; endedAt: number }>();
  private readonly active = new CounterCube();
  private readonly strings: StringPool;

  constructor(private readonly options: SessionTrackerOptions) {
    this.strings = new StringPool(options.maxPooledStrings ?? 40_000);
  }

  /** Records activity for the event's session, starting one if needed; returns it, or undefined once ended. */
  touch(event: VisitorEvent, now: number): Session | undefined {
    this.expire(now);
    const existing = this.sessions.get(event.session_id);
    if (event.type === "session_end") {
      if (existing) {
        existing.last_activity = now;
        this.remove(existing, "ended");
      }
      return undefined;
    }
    if (!existing) return this.start(event, now);

    this.sessions.touch(event.session_id, existing);
    existing.last_activity = now;
    if (existing.country === "unknown" && event.country !== "unknown") {
      this.active.add(dimensionsOf(existing), -1);
      existing.country = this.strings.intern(event.country);
      this.active.add(dimensionsOf(existing), 1);
    }
    if (existing.device === "unknown" && event.device !== "unknown")
      existing.device = this.strings.intern(event.device);
    if (event.page !== existing.current_page) {
      this.active.add(dimensionsOf(existing), -1);
      existing.current_page = this.strings.intern(event.page);
      this.active.add(dimensionsOf(existing), 1);
    }
    if (event.type === "pageview") this.recordPageview(existing, event.page);
    return existing;
  }

  /** Ends every session idle for the timeout or longer. */
  expire(now: number): void {
    for (let oldest = this.sessions.oldest(); oldest; oldest = this.sessions.oldest()) {
      if (now - oldest.last_activity < this.options.timeoutMs) return;
      this.remove(oldest, "timeout");
    }
  }

  count(filter: DimensionFilter, now: number): number {
    this.expire(now);
    return this.active.get(filter);
  }

  get(sessionId: string, now: number): Session | undefined {
    this.expire(now);
    return this.sessions.get(sessionId);
  }

  /** Most recently active first; stops scanning once `limit` matches are found. */
  list(filter: DimensionFilter, limit: number, now: number): Session[] {
    this.expire(now);
    const matches: Session[] = [];
    if (limit <= 0) return matches;
    for (const session of this.sessions.newestFirst()) {
      if (!matchesFilter(session, filter)) continue;
      matches.push(session);
      if (matches.length >= limit) break;
    }
    return matches;
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Sessions in order of last activity, oldest first (the order `importState` expects). */
  exportState(): SessionTrackerState {
    return {
      active: [...this.sessions.oldestFirst()].map(([, session]) => session),
      recentlyEnded: [...this.recentlyEnded.oldestFirst()].map(([, ended]) => ended),
    };
  }

  importState(state: SessionTrackerState): void {
    this.sessions.clear();
    this.active.clear();
    this.recentlyEnded.clear();
    for (const session of state.active) {
      this.sessions.touch(session.session_id, this.pooled(session));
      this.active.add(dimensionsOf(session), 1);
    }
    for (const { session, endedAt } of state.recentlyEnded) {
      this.recentlyEnded.touch(session.session_id, {
        session: this.pooled(session),
        endedAt,
      });
    }
  }

  /** A restored session, its strings shared through the pool. */
  private pooled(session: Session): Session {
    const intern = (value: string) => this.strings.intern(value);
    return {
      ...session,
      site: intern(session.site),
      country: intern(session.country),
      device: intern(session.device),
      current_page: intern(session.current_page),
      entry_page: intern(session.entry_page),
      journey: session.journey.map(intern),
    };
  }

  get capacity(): number {
    return this.options.maxSessions;
  }

  private start(event: VisitorEvent, now: number): Session {
    if (this.sessions.size >= this.options.maxSessions) {
      const oldest = this.sessions.oldest();
      if (oldest) this.remove(oldest, "evicted");
    }
    const resumed = this.resume(event, now);
    if (resumed) return resumed;
    const page = this.strings.intern(event.page);
    const session: Session = {
      session_id: event.session_id,
      site: this.strings.intern(event.site),
      country: this.strings.intern(event.country),
      device: this.strings.intern(event.device),
      user_id: event.user_id,
      started_at: now,
      last_activity: now,
      current_page: page,
      entry_page: page,
      journey: [],
      journey_truncated: false,
      page_views: 0,
    };
    if (event.type === "pageview") this.recordPageview(session, event.page);
    this.sessions.touch(session.session_id, session);
    this.active.add(dimensionsOf(session), 1);
    return session;
  }

  private recordPageview(session: Session, page: string): void {
    session.page_views++;
    session.journey.push(this.strings.intern(page));
    if (session.journey.length > JOURNEY_LIMIT) {
      session.journey.shift();
      session.journey_truncated = true;
    }
  }

  private remove(session: Session, reason: SessionEndReason): void {
    this.sessions.delete(session.session_id);
    this.active.add(dimensionsOf(session), -1);
    if (reason === "ended") {
      this.recentlyEnded.touch(session.session_id, { session, endedAt: session.last_activity });
      if (this.recentlyEnded.size > this.options.maxSessions) {
        const stalest = this.recentlyEnded.oldestKey();
        if (stalest !== undefined) this.recentlyEnded.delete(stalest);
      }
    }
    this.options.onEnded(session, reason);
  }

  private resume(event: VisitorEvent, now: number): Session | undefined {
    for (let oldest = this.recentlyEnded.oldest(); oldest; oldest = this.recentlyEnded.oldest()) {
      if (now - oldest.endedAt <= RESUME_GRACE_MS) break;
      this.recentlyEnded.delete(oldest.session.session_id);
    }
    const ended = this.recentlyEnded.delete(event.session_id);
    if (!ended) return undefined;
    const { session } = ended;
    session.last_activity = now;
    session.current_page = this.strings.intern(event.page);
    if (event.type === "pageview") this.recordPageview(session, event.page);
    this.sessions.touch(session.session_id, session);
    this.active.add(dimensionsOf(session), 1);
    return session;
  }
}

function dimensionsOf(session: Session) {
  return { site: session.site, country: session.country, page: session.current_page };
}

export function matchesFilter(
  item: { site: string; country: string; current_page?: string; page?: string },
  filter: DimensionFilter,
): boolean {
  return (
    (filter.site === undefined || filter.site === item.site) &&
    (filter.country === undefined || filter.country === item.country) &&
    (filter.page === undefined || filter.page === (item.current_page ?? item.page))
  );
}

export function toSessionView(session: Session): SessionView {
  return {
    session_id: session.session_id,
    site: session.site,
    current_page: session.current_page,
    journey: [...session.journey],
    journey_truncated: session.journey_truncated,
    duration: Math.round((session.last_activity - session.started_at) / 1000),
    country: session.country,
    device: session.device,
    started_at: new Date(session.started_at).toISOString(),
    last_activity: new Date(session.last_activity).toISOString(),
    page_views: session.page_views,
  };
}
