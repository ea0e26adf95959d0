import { ClearMarks } from "./clear-marks.ts";
import type { ConnectionStatus } from "./connection.ts";
import { EventFeed } from "./event-feed.ts";
import { type Counters, Figures } from "./figures.ts";
import type { DimensionFilter, ShownEvent } from "./protocol.ts";
import { type ListedAlert, RecentAlerts } from "./recent-alerts.ts";
import { ResumePosition } from "./resume-position.ts";
import { SessionList, type SessionListOptions } from "./session-list.ts";
import type { SessionRow } from "./session-row.ts";
import { ViewChanges, type ViewPart } from "./view-changes.ts";
import { VisitorsPerMinute } from "./visitors-per-minute.ts";

/**
 * The parts the dashboard shows (figures, feed, sessions, chart, alerts) and what the renderer
 * reads of them. DashboardState (state.ts) feeds them from server frames and the user's commands.
 */
export class DashboardView {
  status: ConnectionStatus = "Disconnected";
  dashboards: number | undefined;
  readonly visitors = new VisitorsPerMinute();
  rangeMinutes = 10;
  filter: DimensionFilter = {};
  notice: string | undefined;

  protected readonly changes = new ViewChanges();
  protected readonly figures = new Figures();
  protected readonly eventFeed = new EventFeed();
  protected readonly recentAlerts = new RecentAlerts();
  protected readonly resume = new ResumePosition();
  protected readonly clearMarks = new ClearMarks();
  protected readonly sessionList: SessionList;

  /** `now` and `wakeIn` (when leaving sessions are next due to be swept) for tests; real timers by default. */
  constructor(options: SessionListOptions = {}) {
    this.sessionList = new SessionList(this.changes, () => this.clearMarks.newestSeen, {
      wakeIn: (ms) => setTimeout(() => this.sweep(), ms + 50),
      statsSeq: () => this.figures.received,
      ...options,
    });
  }

  get counters(): Counters | undefined {
    return this.figures.counters;
  }
  /**
   * Active sessions as shown: the server's count plus those leaving that it no longer counts
   * (ended by `session_end`, perhaps only following a link: a resume within the grace is no leave).
   */
  get activeShown(): number | undefined {
    const counters = this.figures.counters;
    return counters && counters.active + this.sessionList.leavingCount(counters.asOf, counters.seq);
  }
  get pages(): Record<string, number> {
    return this.figures.pages;
  }
  get countries(): Map<string, number> {
    return this.figures.countries;
  }
  get devices(): Map<string, number> {
    return this.figures.devices;
  }
  /** Newest first. */
  get feed(): readonly ShownEvent[] {
    return this.eventFeed.events;
  }
  /** Newest first. */
  get alerts(): readonly ListedAlert[] {
    return this.recentAlerts.list;
  }
  get sessions(): ReadonlyMap<string, SessionRow> {
    return this.sessionList.rows;
  }
  /** Listed sessions not yet left (active or leaving). */
  get sessionsShownActive(): number {
    return this.sessionList.activeCount;
  }
  get selectedSession(): string | undefined {
    return this.sessionList.selected;
  }
  get journeySnapshot(): SessionRow | undefined {
    return this.sessionList.journeySnapshot;
  }
  get journeyNote(): string | undefined {
    return this.sessionList.journeyNote;
  }
  /** The last log position received, which a reconnection resumes from. */
  get position(): number | undefined {
    return this.resume.value;
  }

  onChange(listener: () => void): void {
    this.changes.onChange(listener);
  }

  /** The parts changed since the last call. */
  takeDirty(): Set<ViewPart> {
    return this.changes.take();
  }

  /** Sessions leaving past the grace have left; those left a while leave the list. */
  sweep(): void {
    this.sessionList.sweep();
  }
}
