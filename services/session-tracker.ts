import type { DimensionFilter, SessionEndReason, VisitorEvent } from "../interfaces/analytics.ts";
import { CounterCube } from "./counter-cube.ts";
import { SeenWindow } from "./seen-window.ts";
import {
  dimensionsOf,
  RESUME_GRACE_MS,
  recordOf,
  type Session,
  type SessionRecord,
  type SessionTrackerState,
} from "./session.ts";
import { fillVisit, newSession, recordPageview } from "./session-events.ts";
import { SessionList } from "./session-list.ts";
import { SessionMemory } from "./session-memory.ts";
import { matchesFilter } from "./session-view.ts";

export interface SessionTrackerOptions {
  timeoutMs: number;
  maxSessions: number;
  /**
   * Byte budget of the sessions (active and recently ended) and their strings, estimated; past it
   * the least recently active end as `evicted`. Default: none.
   */
  maxBytes?: number;
  /** The window of distinct sessions seen (`seenCount`). Default: the last minute. */
  seenWindowMs?: number;
  /** `now`: the time of the event or tick that ended it. */
  onEnded: (session: Session, reason: SessionEndReason, now: number) => void;
}

/**
 * Active sessions in order of last activity, so expiry and eviction only ever look at the
 * oldest: amortised O(1) per event. Their size in bytes is estimated as they change (O(1) an
 * event), and kept under `maxBytes` by ending the least recently active.
 */
export class SessionTracker {
  private readonly sessions = new SessionList();
  /** Sessions ended by `session_end`, by when they ended (their last activity), oldest first. */
  private readonly recentlyEnded = new SessionList();
  private readonly active = new CounterCube();
  private readonly memory = new SessionMemory();
  private readonly seen: SeenWindow;
  /** The time of the latest event or tick: when a session it ends ended. */
  private lastNow = 0;

  constructor(private readonly options: SessionTrackerOptions) {
    // As many sightings as sessions: the sessions ended within the window may crowd out the oldest.
    this.seen = new SeenWindow(options.seenWindowMs ?? 60_000, options.maxSessions);
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
    const session = existing ? this.update(existing, event, now) : this.start(event, now);
    this.keepWithinBudget(session);
    this.seen.touch(session, now);
    return session;
  }

  /** Ends every session idle for the timeout or longer; forgets the sightings past the window. */
  expire(now: number): void {
    this.lastNow = now;
    this.seen.prune(now);
    for (let oldest = this.sessions.oldest(); oldest; oldest = this.sessions.oldest()) {
      if (now - oldest.last_activity < this.options.timeoutMs) return;
      this.remove(oldest, "timeout");
    }
  }

  /**
   * Reads leave sessions as they are (only events and ticks end them) but do not count those
   * already past their timeout at `now`: the oldest, awaiting the next tick.
   */
  count(filter: DimensionFilter, now: number): number {
    let count = this.active.get(filter);
    for (const session of this.sessions.oldestFirst()) {
      if (!this.timedOut(session, now)) break;
      if (matchesFilter(session, filter)) count--;
    }
    return count;
  }

  /** Distinct sessions seen (events other than `session_end`) within the window before `now`. */
  seenCount(now: number): number {
    return this.seen.count(now);
  }

  get(sessionId: string, now: number): Session | undefined {
    const session = this.sessions.get(sessionId);
    return session && !this.timedOut(session, now) ? session : undefined;
  }

  /** When the oldest session times out (a read answered before then stays true until then). */
  nextTimeoutAt(): number {
    const oldest = this.sessions.oldest();
    return oldest ? oldest.last_activity + this.options.timeoutMs : Number.POSITIVE_INFINITY;
  }

  private timedOut(session: Session, now: number): boolean {
    return now - session.last_activity >= this.options.timeoutMs;
  }

  /** Most recently active first; stops scanning once `limit` matches are found. */
  list(filter: DimensionFilter, limit: number, now: number): Session[] {
    const matches: Session[] = [];
    if (limit <= 0) return matches;
    for (const session of this.sessions.newestFirst()) {
      if (this.timedOut(session, now) || !matchesFilter(session, filter)) continue;
      matches.push(session);
      if (matches.length >= limit) break;
    }
    return matches;
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Estimated heap bytes of the sessions (active and recently ended) and their strings. */
  get bytes(): number {
    return this.memory.bytes;
  }

  get maxBytes(): number {
    return this.options.maxBytes ?? Number.POSITIVE_INFINITY;
  }

  /** Sessions in order of last activity, oldest first (the order `importState` expects). */
  exportState(): SessionTrackerState {
    return {
      active: [...this.sessions.oldestFirst()].map(recordOf),
      recentlyEnded: [...this.recentlyEnded.oldestFirst()].map(endedRecordOf),
    };
  }

  /**
   * As `exportState`, the lists as iterators over the live ones, read later: nothing may change
   * the sessions until they are read (the pipeline is held meanwhile).
   */
  exportLazily(): { active: Iterable<SessionRecord>; recentlyEnded: Iterable<unknown> } {
    return {
      active: mapped(this.sessions.oldestFirst(), recordOf),
      recentlyEnded: mapped(this.recentlyEnded.oldestFirst(), endedRecordOf),
    };
  }

  /** The window of sessions seen, as a snapshot keeps it: `[session id, seen at]`, oldest first. */
  exportSeen(): [string, number][] {
    return this.seen.exportState();
  }

  /** Restores the window of sessions seen, after `importState` restored the sessions. */
  importSeen(entries: readonly [string, number][]): void {
    this.seen.importState(entries, (sessionId) => this.sessions.get(sessionId));
  }

  /** Restores exported sessions; past the byte budget the least recently active are evicted. */
  importState(state: SessionTrackerState): void {
    this.seen.importState([], () => undefined);
    this.sessions.clear();
    this.active.clear();
    this.recentlyEnded.clear();
    this.memory.clear();
    for (const { session, endedAt } of state.recentlyEnded) {
      // An ended session's last activity is when it ended.
      this.recentlyEnded.add(this.memory.adopt({ ...session, last_activity: endedAt }));
    }
    for (const session of state.active) {
      this.sessions.add(this.memory.adopt(session));
      this.active.add(dimensionsOf(session), 1);
    }
    this.keepWithinBudget(undefined);
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
    const session = newSession(event, now, this.memory);
    fillVisit(session, event, this.memory);
    this.memory.hold(session);
    if (event.type === "pageview") recordPageview(session, event.page, this.memory);
    this.sessions.add(session);
    this.active.add(dimensionsOf(session), 1);
    return session;
  }

  /** Activity of an active session: its place in the order, its current page, its journey. */
  private update(session: Session, event: VisitorEvent, now: number): Session {
    this.sessions.touch(session);
    session.last_activity = now;
    if (session.country === "unknown" && event.country !== "unknown") {
      this.active.add(dimensionsOf(session), -1);
      session.country = this.memory.repool(session.country, event.country);
      this.active.add(dimensionsOf(session), 1);
    }
    if (session.device === "unknown" && event.device !== "unknown")
      session.device = this.memory.repool(session.device, event.device);
    if (event.page !== session.current_page) {
      this.active.add(dimensionsOf(session), -1);
      session.current_page = this.memory.repool(session.current_page, event.page);
      this.active.add(dimensionsOf(session), 1);
    }
    if (event.type === "pageview") recordPageview(session, event.page, this.memory);
    fillVisit(session, event, this.memory);
    return session;
  }

  private remove(session: Session, reason: SessionEndReason): void {
    this.sessions.delete(session);
    this.seen.ended(session);
    this.active.add(dimensionsOf(session), -1);
    if (reason === "ended") {
      const replaced = this.recentlyEnded.get(session.session_id);
      if (replaced) this.memory.release(replaced);
      this.recentlyEnded.add(session);
      if (this.recentlyEnded.size > this.options.maxSessions) this.dropStalestEnded();
    } else {
      this.memory.release(session);
    }
    this.options.onEnded(session, reason, Math.max(this.lastNow, session.last_activity));
  }

  private dropStalestEnded(): boolean {
    const stalest = this.recentlyEnded.oldest();
    if (stalest === undefined) return false;
    this.recentlyEnded.delete(stalest);
    this.memory.release(stalest);
    return true;
  }

  /**
   * Past the byte budget, forgets sessions ended recently (only their resumption is lost), then
   * ends the least recently active as `evicted`, as the count cap does; never `keep`, the
   * session the event being applied belongs to.
   */
  private keepWithinBudget(keep: Session | undefined): void {
    const maxBytes = this.maxBytes;
    while (this.bytes > maxBytes) {
      if (this.dropStalestEnded()) continue;
      const oldest = this.sessions.oldest();
      if (!oldest || oldest === keep) return;
      this.remove(oldest, "evicted");
    }
  }

  private resume(event: VisitorEvent, now: number): Session | undefined {
    for (let oldest = this.recentlyEnded.oldest(); oldest; oldest = this.recentlyEnded.oldest()) {
      if (now - oldest.last_activity <= RESUME_GRACE_MS) break;
      this.dropStalestEnded();
    }
    const session = this.recentlyEnded.get(event.session_id);
    if (!session) return undefined;
    this.recentlyEnded.delete(session);
    session.last_activity = now;
    session.current_page = this.memory.repool(session.current_page, event.page);
    if (event.type === "pageview") recordPageview(session, event.page, this.memory);
    fillVisit(session, event, this.memory);
    this.sessions.add(session);
    this.active.add(dimensionsOf(session), 1);
    return session;
  }
}

const endedRecordOf = (session: Session) => ({
  session: recordOf(session),
  endedAt: session.last_activity,
});

function* mapped<T, U>(items: Iterable<T>, map: (item: T) => U): Generator<U> {
  for (const item of items) yield map(item);
}
