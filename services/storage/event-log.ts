import type { Database, Statement } from "bun:sqlite";
import type { VisitorEvent } from "../../interfaces/analytics.ts";
import { type EventRow, fromRow, type LoggedEvent, OPTIONAL_COLUMNS } from "./event-rows.ts";

export { fromRow, type LoggedEvent } from "./event-rows.ts";

import {
  type CommitListener,
  CommitTotals,
  type CommittedEvent,
  type EventLog,
  StorageUnavailableError,
} from "../pipeline/event-log.ts";
import { EventProps } from "./event-props.ts";

interface Pending {
  events: readonly VisitorEvent[];
  receivedAt: number;
  committed: CommittedEvent[];
  resolve: (committed: readonly CommittedEvent[]) => void;
  reject: (error: Error) => void;
}

/**
 * The event log on SQLite, with group commit: every append made while the event loop
 * is busy (a commit included) joins one transaction on the next turn. There is no fixed delay:
 * an append on an idle server commits on the very next turn. `append` resolves only once the
 * transaction holding its events has committed, so an acknowledgement means durable.
 */
export class SqliteEventLog implements EventLog {
  private pending: Pending[] = [];
  private readonly listeners: CommitListener[] = [];
  /** Told when a subscriber throws: the events stay committed and the append still resolves. */
  private subscriberError: (error: unknown) => void = () => {};
  private readonly totals = new CommitTotals();
  private scheduled = false;
  private failing = false;
  private db!: Database;
  private insert!: Statement;
  private commitBatch!: (batch: Pending[]) => void;
  /** Throws when the database must not be written (its file was removed); runs before each commit. */
  private guard: () => void = () => {};
  private readonly degradedListeners: ((degraded: boolean) => void)[] = [];
  private readonly commitTimers: ((seconds: number, requests: number) => void)[] = [];
  private props!: EventProps;

  /** `propValuesPerDay`: distinct values a custom property keeps per site and UTC day. */
  constructor(
    db: Database,
    private readonly propValuesPerDay = 100,
  ) {
    this.attach(db);
  }

  /**
   * Prepares the log's statements on `db`: at start-up, and again when storage reopens a database
   * file that was removed under it.
   */
  attach(db: Database): void {
    this.db = db;
    if (this.props) this.props.attach(db);
    else this.props = new EventProps(db, this.propValuesPerDay);
    this.insert = db.query(
      `INSERT INTO events (received_at, client_timestamp, type, name, site, page, host, title,
         session_id, user_id, country, device, referrer, metadata, ${OPTIONAL_COLUMNS.join(", ")})
       VALUES (${new Array(14 + OPTIONAL_COLUMNS.length).fill("?").join(", ")})`,
    );
    this.commitBatch = db.transaction((batch: Pending[]) => {
      for (const { events, receivedAt, committed } of batch) {
        for (const event of events) {
          const { lastInsertRowid } = this.insert.run(
            receivedAt,
            event.timestamp,
            event.type,
            event.name ?? null,
            event.site,
            event.page,
            event.host ?? null,
            event.title ?? null,
            event.session_id,
            event.user_id ?? null,
            event.country,
            event.device,
            event.referrer ?? null,
            JSON.stringify(event.metadata),
            ...OPTIONAL_COLUMNS.map((column) => event[column] ?? null),
          );
          const position = Number(lastInsertRowid);
          if (event.type === "custom" && event.name !== undefined)
            this.props.write(position, event.site, event.name, receivedAt, event.metadata);
          committed.push({ position, event, receivedAt });
        }
      }
    });
  }

  /**
   * True while the database cannot write: set by a failed commit, cleared by the next commit that
   * succeeds or by storage's probe (so health recovers without traffic).
   */
  get degraded(): boolean {
    return this.failing;
  }

  setDegraded(degraded: boolean): void {
    if (this.failing === degraded) return;
    this.failing = degraded;
    for (const listener of this.degradedListeners) listener(degraded);
  }

  onDegradedChange(listener: (degraded: boolean) => void): void {
    this.degradedListeners.push(listener);
  }

  /** Told how long each commit took (for /metrics), with the appends it held. */
  onCommitTimed(listener: (seconds: number, requests: number) => void): void {
    this.commitTimers.push(listener);
  }

  /** Installs the check run before every commit (one cheap call; it throws to refuse). */
  setGuard(guard: () => void): void {
    this.guard = guard;
  }

  subscribe(listener: CommitListener): () => void {
    this.listeners.push(listener);
    return () => {
      const index = this.listeners.indexOf(listener);
      if (index >= 0) this.listeners.splice(index, 1);
    };
  }

  onSubscriberError(handler: (error: unknown) => void): void {
    this.subscriberError = handler;
  }

  append(events: readonly VisitorEvent[], receivedAt: number): Promise<readonly CommittedEvent[]> {
    return new Promise((resolve, reject) => {
      this.pending.push({ events, receivedAt, committed: [], resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.commit());
      }
    });
  }

  /** Commits whatever is waiting now (also used at shutdown). */
  commit(): void {
    this.scheduled = false;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    const started = performance.now();
    try {
      this.guard();
      this.commitBatch(batch);
      this.setDegraded(false);
      this.totals.commits++;
      this.totals.events += batch.reduce((sum, waiting) => sum + waiting.events.length, 0);
      const ms = performance.now() - started;
      this.totals.commitMs += ms;
      for (const listener of this.commitTimers) listener(ms / 1000, batch.length);
    } catch (cause) {
      this.setDegraded(true);
      const error = new StorageUnavailableError(cause);
      for (const waiting of batch) waiting.reject(error);
      return;
    }
    // Every subscriber sees the whole batch, in log order, before the first waiting request
    // resumes: the answers built then share one computation of the stats.
    const committed =
      batch.length === 1 ? (batch[0]?.committed ?? []) : batch.flatMap((w) => w.committed);
    for (const listener of this.listeners) {
      try {
        listener(committed);
      } catch (error) {
        this.subscriberError(error);
      }
    }
    for (const waiting of batch) waiting.resolve(waiting.committed);
  }

  /** Group-commit figures since start, for /api/status. */
  stats() {
    return this.totals.stats(this.failing);
  }

  lastPosition(): number {
    const row = this.db.query("SELECT MAX(id) AS id FROM events").get() as { id: number | null };
    return row.id ?? 0;
  }

  /** Events after `position` in log order, read in pages so memory stays flat. */
  *readFrom(position: number, pageSize = 10_000): Generator<CommittedEvent> {
    const page = this.db.query("SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?");
    let cursor = position;
    while (true) {
      const rows = page.all(cursor, pageSize) as EventRow[];
      for (const row of rows) {
        const { id, event, receivedAt } = fromRow(row);
        yield { position: id, event, receivedAt };
      }
      if (rows.length < pageSize) return;
      cursor = (rows[rows.length - 1] as EventRow).id;
    }
  }

  /**
   * Events received in [from, to), optionally of one site, in log order, paged by id. The id range
   * holding that time range is found first on the received_at index, so the scan starts at the
   * first matching event instead of the log's beginning, and events appended meanwhile are left out.
   */
  *between(
    from: number,
    to: number,
    site: string | undefined,
    pageSize = 1000,
  ): Generator<LoggedEvent> {
    const bounds = this.db
      .query(
        "SELECT MIN(id) AS first, MAX(id) AS last FROM events WHERE received_at >= ? AND received_at < ?",
      )
      .get(from, to) as { first: number | null; last: number | null };
    if (bounds.first === null || bounds.last === null) return;
    // NOT INDEXED: walk the primary key, never sort a received_at range on every page.
    const page = this.db.query(
      `SELECT * FROM events NOT INDEXED WHERE id > ?1 AND id <= ?2
         AND received_at >= ?3 AND received_at < ?4 AND (?5 IS NULL OR site = ?5) ORDER BY id LIMIT ?6`,
    );
    let cursor = bounds.first - 1;
    while (true) {
      const rows = page.all(cursor, bounds.last, from, to, site ?? null, pageSize) as EventRow[];
      for (const row of rows) yield fromRow(row);
      if (rows.length < pageSize) return;
      cursor = (rows[rows.length - 1] as EventRow).id;
    }
  }
}
