import type { Alert, DimensionFilter } from "../interfaces/analytics.ts";
import type { DashboardMessage } from "../schemas/websocket-protocol.ts";
import type { AnalyticsStore } from "./analytics-store.ts";
import type { Clock } from "./clock.ts";
import { OTHER } from "./key-cap.ts";
import type { Logger } from "./logger.ts";
import type { Reaction, Step } from "./pipeline/step.ts";
import {
  type DashboardSocket,
  type DashboardSocketData,
  dispatch,
  newSocketData,
  readMessage,
} from "./realtime-connection.ts";
import { DetailedStatsFrames } from "./realtime-detailed.ts";
import { FeedFanout } from "./realtime-fanout.ts";
import { normalizedFilter } from "./realtime-feed.ts";
import { replayed } from "./realtime-frames.ts";
import { type FramePublisher, RealtimePublisher } from "./realtime-publisher.ts";
import { type EventLogReader, missedEvents } from "./realtime-resume.ts";

export type { DashboardSocket, DashboardSocketData } from "./realtime-connection.ts";
export type { FramePublisher } from "./realtime-publisher.ts";

export interface RealtimeHubOptions {
  maxDashboards: number;
  maxFramesPerSecond: number;
  messagesPerMinute: number;
  detailedStatsPerMinute: number;
  /** Unsent bytes across all dashboards; past it the longest queues are dropped first. */
  totalUnsentBytes: number;
}

/** The coalescing tick; also the longest an event waits once a dashboard is at its frame rate. */
export const TICK_MS = 50;
const MAX_TRACKED_ACTIONS = 100;
const BROADCAST_TOPIC = "dashboards";

/**
 * Pushes live data to dashboards over Bun's native WebSocket topics: the dashboards connected,
 * what each connection asks (realtime-connection.ts), the feeds events go out on (fan-out and
 * coalescing: realtime-fanout.ts, realtime-feed.ts), what a reconnecting dashboard missed
 * (realtime-resume.ts), all sent through one publisher (realtime-publisher.ts).
 */
export class RealtimeHub implements Reaction {
  readonly name = "realtime";
  private readonly sockets = new Set<DashboardSocket>();
  private readonly fanout: FeedFanout;
  private readonly publisher: RealtimePublisher<DashboardSocket>;
  private readonly actions = new Map<string, number>();
  private readonly detailedFrames: DetailedStatsFrames;
  private nextId = 1;
  private currentAlerts: () => Alert[] = () => [];
  private log: EventLogReader | undefined;

  constructor(
    store: AnalyticsStore,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: RealtimeHubOptions,
  ) {
    this.publisher = new RealtimePublisher(options.totalUnsentBytes, () => this.sockets);
    this.detailedFrames = new DetailedStatsFrames(store, clock);
    this.fanout = new FeedFanout(store, clock, options.maxFramesPerSecond, (feed, frame) =>
      this.publisher.publish(feed.topic, frame, feed.subscribers),
    );
  }

  /** A step of the pipeline: the sessions it ended, then its event (at its log position), then its alerts. */
  react(step: Step): void {
    for (const { session, reason } of step.ended) this.fanout.sessionEnded(session, reason);
    if (step.committed) this.fanout.event(step.committed.event, step.committed.position);
    for (const alert of step.alerts) this.broadcast(alert);
  }

  /** Where a dashboard that connects learns the alert state (spike in progress, last milestone). */
  replayAlertsFrom(source: () => Alert[]): void {
    this.currentAlerts = source;
  }

  /** Where a dashboard that reconnects with `?since=` finds what it missed. */
  resumeFrom(log: EventLogReader): void {
    this.log = log;
  }

  addPublisher(publisher: FramePublisher): void {
    this.publisher.addPublisher(publisher);
  }

  get dashboardCount(): number {
    return this.sockets.size;
  }

  hasRoom(): boolean {
    return this.sockets.size < this.options.maxDashboards;
  }

  newSocketData(options: { batching: boolean; since?: number | null }): DashboardSocketData {
    return newSocketData(this.nextId++, this.clock.now(), options);
  }

  open(ws: DashboardSocket): void {
    this.sockets.add(ws);
    ws.subscribe(BROADCAST_TOPIC);
    this.join(ws, {});
    if (ws.data.since !== undefined) this.resume(ws, ws.data.since);
    this.publisher.publishFrame(BROADCAST_TOPIC, this.sockets.size, "user_connected", {
      total_dashboards: this.sockets.size,
      connected_at: new Date(ws.data.connectedAt).toISOString(),
    });
    // A dashboard opened during a spike shows it, not "no alerts".
    for (const alert of this.currentAlerts()) this.publisher.send(ws, "alert", replayed(alert));
  }

  close(ws: DashboardSocket, code: number): void {
    if (!this.sockets.delete(ws)) return;
    this.publisher.forget(ws);
    this.logger.debug({ dashboard: ws.data.id, code }, "dashboard disconnected");
    this.leave(ws);
    this.publisher.publishFrame(BROADCAST_TOPIC, this.sockets.size, "user_disconnected", {
      total_dashboards: this.sockets.size,
    });
  }

  message(ws: DashboardSocket, raw: string | Buffer): void {
    const read = readMessage(ws.data, raw, this.clock.now(), this.options);
    if ("error" in read) this.publisher.send(ws, "error", read.error);
    else this.handle(ws, read.message);
  }

  /** Bun's `drain`: the socket's queue has been written out. */
  drain(ws: DashboardSocket): void {
    this.publisher.forget(ws);
  }

  /** Sends frames that waited for their feed's budget; called every TICK_MS. */
  flush(): void {
    this.fanout.flush();
    this.publisher.tick();
  }

  /** Tells every dashboard the server is going and closes it with 1001 (going away). */
  closeAll(): void {
    this.flush();
    this.publisher.publishFrame(BROADCAST_TOPIC, this.sockets.size, "shutdown", {
      reason: "server shutting down",
    });
    // Forget the sockets first: Bun runs the close handler inside ws.close(), and a departing
    // dashboard must not announce itself to the others after they were told of the shutdown.
    const closing = [...this.sockets];
    this.sockets.clear();
    for (const ws of closing) {
      this.leave(ws);
      ws.close(1001, "server shutting down");
    }
  }

  actionCounts(): Record<string, number> {
    return Object.fromEntries(this.actions);
  }

  /**
   * Unsent bytes and slow readers dropped over their total budget; detailed answers built and
   * sent; coalesced frames and their events.
   */
  stats() {
    return {
      ...this.publisher.stats(),
      ...this.detailedFrames.stats(),
      ...this.fanout.coalescing,
    };
  }

  private broadcast(alert: Alert): void {
    this.publisher.publishFrame(BROADCAST_TOPIC, this.sockets.size, "alert", alert);
  }

  private handle(ws: DashboardSocket, message: DashboardMessage): void {
    dispatch(message, {
      ping: () =>
        this.publisher.send(ws, "pong", { timestamp: new Date(this.clock.now()).toISOString() }),
      request_detailed_stats: ({ filter }) =>
        this.publisher.sendSerialized(ws, this.detailedFrames.frameFor(filter ?? {})),
      subscribe: ({ filter, batch }) => {
        if (batch !== undefined) ws.data.batching = batch;
        this.leave(ws);
        this.join(ws, filter);
        this.publisher.send(ws, "subscribed", {
          filter: normalizedFilter(filter),
          batch: ws.data.batching,
        });
      },
      track_dashboard_action: ({ action }) => {
        const counted =
          this.actions.has(action) || this.actions.size < MAX_TRACKED_ACTIONS ? action : OTHER;
        const count = (this.actions.get(counted) ?? 0) + 1;
        this.actions.set(counted, count);
        this.publisher.send(ws, "action_tracked", { action, count });
      },
    });
  }

  /**
   * Sends a reconnecting dashboard what it missed, read from the log up to just before the oldest
   * event its feed still holds for the next batch (that batch brings the rest): none twice.
   */
  private resume(ws: DashboardSocket, since: number | null): void {
    if (!this.log) return;
    const pending = ws.data.feed?.firstPendingPosition;
    const resume = missedEvents(this.log, since, pending === undefined ? undefined : pending - 1);
    if ("resync" in resume) this.publisher.send(ws, "resync", resume.resync);
    else for (const frame of resume.frames) this.publisher.sendSerialized(ws, frame);
  }

  private join(ws: DashboardSocket, filter: DimensionFilter): void {
    const feed = this.fanout.join(filter, ws.data.batching);
    ws.data.feed = feed;
    ws.subscribe(feed.topic);
  }

  private leave(ws: DashboardSocket): void {
    const feed = ws.data.feed;
    if (!feed) return;
    ws.data.feed = undefined;
    if (ws.readyState === WebSocket.OPEN) ws.unsubscribe(feed.topic);
    this.fanout.leave(feed);
  }
}
