import type { ServerWebSocket } from "bun";
import type {
  DimensionFilter,
  SessionEndReason,
  SessionView,
  VisitorEvent,
} from "../interfaces/analytics.ts";
import type { DashboardMessage } from "../schemas/websocket-message.ts";
import type { AnalyticsStore } from "./analytics-store.ts";
import type { Clock } from "./clock.ts";
import type { EventBus } from "./event-bus.ts";
import { OTHER } from "./key-cap.ts";
import type { Logger } from "./logger.ts";
import { type MinuteAllowance, newAllowance, takeAllowance } from "./realtime-allowance.ts";
import { UnsentBudget } from "./realtime-backpressure.ts";
import { DetailedStatsFrames } from "./realtime-detailed.ts";
import {
  activityOf,
  type EndedSession,
  Feed,
  feedKey,
  serialize,
  takeEnded,
} from "./realtime-feed.ts";
import { parseDashboardFrame, rateLimited } from "./realtime-messages.ts";
import { matchesFilter } from "./session-tracker.ts";

export interface DashboardSocketData {
  id: number;
  connectedAt: number;
  feed?: Feed;
  /** Every message counts here (WS_MESSAGES_PER_MINUTE). */
  messages: MinuteAllowance;
  /** `request_detailed_stats` also counts here (WS_DETAILED_STATS_PER_MINUTE). */
  detailedRequests: MinuteAllowance;
}

export type DashboardSocket = ServerWebSocket<DashboardSocketData>;

/** What the hub needs of a Bun server: topic publishing. */
export interface FramePublisher {
  publish(topic: string, data: string, compress?: boolean): number;
}

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
/** The most events one `visitor_batch` carries; older ones are dropped and counted. */
export const MAX_BATCH_EVENTS = 500;
/** The most ended sessions one `visitor_batch` carries; the rest wait for the next tick. */
export const MAX_BATCH_ENDED = 500;
const MAX_TRACKED_ACTIONS = 100;
const BROADCAST_TOPIC = "dashboards";

/**
 * Pushes live data to dashboards over Bun's native WebSocket topics. Each accepted event goes out
 * at once as `visitor_update` + `session_activity` (and each ended session as `session_ended`)
 * while a feed is within its frame budget; past it, events and ended sessions are coalesced into
 * one `visitor_batch` per tick, so a burst of either costs a dashboard at most one frame a tick.
 */
export class RealtimeHub {
  private readonly sockets = new Set<DashboardSocket>();
  private readonly feeds = new Map<string, Feed>();
  private readonly publishers: FramePublisher[] = [];
  private readonly actions = new Map<string, number>();
  private readonly unsent: UnsentBudget<DashboardSocket>;
  private readonly detailedFrames: DetailedStatsFrames;
  private nextId = 1;

  constructor(
    bus: EventBus,
    private readonly store: AnalyticsStore,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: RealtimeHubOptions,
  ) {
    this.unsent = new UnsentBudget(options.totalUnsentBytes, () => this.sockets);
    this.detailedFrames = new DetailedStatsFrames(store, clock);
    bus.on("visitor.event", ({ event }) => this.onVisitorEvent(event));
    bus.on("session.ended", ({ session, reason }) => this.onSessionEnded(session, reason));
    bus.on("alert", (alert) => this.broadcast("alert", alert));
  }

  addPublisher(publisher: FramePublisher): void {
    this.publishers.push(publisher);
  }

  get dashboardCount(): number {
    return this.sockets.size;
  }

  hasRoom(): boolean {
    return this.sockets.size < this.options.maxDashboards;
  }

  newSocketData(): DashboardSocketData {
    const now = this.clock.now();
    return {
      id: this.nextId++,
      connectedAt: now,
      messages: newAllowance(now),
      detailedRequests: newAllowance(now),
    };
  }

  open(ws: DashboardSocket): void {
    this.sockets.add(ws);
    ws.subscribe(BROADCAST_TOPIC);
    this.join(ws, {});
    this.broadcast("user_connected", {
      total_dashboards: this.sockets.size,
      connected_at: new Date(ws.data.connectedAt).toISOString(),
    });
  }

  close(ws: DashboardSocket, code: number): void {
    if (!this.sockets.delete(ws)) return;
    this.unsent.forget(ws);
    this.logger.debug({ dashboard: ws.data.id, code }, "dashboard disconnected");
    this.leave(ws);
    this.broadcast("user_disconnected", { total_dashboards: this.sockets.size });
  }

  message(ws: DashboardSocket, raw: string | Buffer): void {
    const now = this.clock.now();
    const { messagesPerMinute, detailedStatsPerMinute } = this.options;
    if (!takeAllowance(ws.data.messages, now, messagesPerMinute)) {
      this.sendTo(ws, "error", rateLimited(messagesPerMinute, "messages"));
      return;
    }
    const parsed = parseDashboardFrame(raw);
    if ("error" in parsed) {
      this.sendTo(ws, "error", parsed.error);
      return;
    }
    // Detailed answers cost far more than the rest: a tighter allowance of their own.
    if (
      parsed.message.type === "request_detailed_stats" &&
      !takeAllowance(ws.data.detailedRequests, now, detailedStatsPerMinute)
    ) {
      this.sendTo(ws, "error", rateLimited(detailedStatsPerMinute, "request_detailed_stats"));
      return;
    }
    this.handle(ws, parsed.message);
  }

  /** Bun's `drain`: the socket's queue has been written out. */
  drain(ws: DashboardSocket): void {
    this.unsent.forget(ws);
  }

  /** Sends frames that waited for their feed's budget; called every TICK_MS. */
  flush(): void {
    const now = this.clock.now();
    for (const feed of this.feeds.values()) {
      if (feed.pending.length === 0 && feed.pendingEnded.size === 0) continue;
      feed.refill(now);
      // A tick always sends, so latency stays bounded even at a sustained high rate.
      feed.tokens = Math.max(-this.options.maxFramesPerSecond, feed.tokens - 1);
      const data: Record<string, unknown> = {
        events: feed.pending,
        sessions: this.activities(feed.pendingSessions),
        stats: this.statsFor(feed.filter),
      };
      if (feed.pendingEnded.size > 0) data.ended = takeEnded(feed.pendingEnded, MAX_BATCH_ENDED);
      if (feed.dropped > 0) data.dropped = feed.dropped;
      this.publishTo(feed, serialize("visitor_batch", data));
      feed.pending = [];
      feed.pendingSessions.clear();
      feed.dropped = 0;
    }
    this.unsent.tick();
  }

  broadcast(type: string, data: unknown): void {
    this.publish(BROADCAST_TOPIC, serialize(type, data), this.sockets.size);
  }

  /** Tells every dashboard the server is going and closes it with 1001 (going away). */
  closeAll(): void {
    this.flush();
    this.broadcast("shutdown", { reason: "server shutting down" });
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

  /** Unsent bytes and slow readers dropped over their total budget; detailed answers built and sent. */
  stats() {
    return {
      unsent_bytes: this.unsent.unsentBytes(),
      slow_readers_dropped: this.unsent.dropped,
      ...this.detailedFrames.stats(),
    };
  }

  private handle(ws: DashboardSocket, message: DashboardMessage): void {
    switch (message.type) {
      case "ping":
        this.sendTo(ws, "pong", { timestamp: new Date(this.clock.now()).toISOString() });
        return;
      case "request_detailed_stats":
        this.sendFrame(ws, this.detailedFrames.frameFor(message.filter ?? {}));
        return;
      case "subscribe":
        this.leave(ws);
        this.join(ws, message.filter);
        this.sendTo(ws, "subscribed", { filter: message.filter });
        return;
      case "track_dashboard_action": {
        const action =
          this.actions.has(message.action) || this.actions.size < MAX_TRACKED_ACTIONS
            ? message.action
            : OTHER;
        const count = (this.actions.get(action) ?? 0) + 1;
        this.actions.set(action, count);
        this.sendTo(ws, "action_tracked", { action: message.action, count });
        return;
      }
    }
  }

  private onVisitorEvent(event: VisitorEvent): void {
    if (this.feeds.size === 0) return;
    const now = this.clock.now();
    // Built once, and only if some feed sends it at once (a batch reads the latest at its tick).
    let session: SessionView | undefined | null = null;
    const current = () => {
      if (session === null) session = this.store.session(event.session_id);
      return session;
    };
    for (const feed of this.feeds.values()) {
      if (!matchesFilter(event, feed.filter)) continue;
      // A session that comes back before its queued end went out is active again, not ended
      // (its own session_end event arrives here just after it was queued, and keeps it).
      if (event.type !== "session_end") feed.pendingEnded.delete(event.session_id);
      feed.refill(now);
      if (feed.pending.length === 0 && feed.pendingEnded.size === 0 && feed.tokens >= 2) {
        feed.tokens -= 2;
        this.publishTo(
          feed,
          serialize("visitor_update", { event, stats: this.statsFor(feed.filter) }),
        );
        const activity = current();
        if (activity) this.publishTo(feed, serialize("session_activity", activityOf(activity)));
        continue;
      }
      if (feed.pending.length >= MAX_BATCH_EVENTS) {
        feed.pending.shift();
        feed.dropped++;
      }
      feed.pending.push(event);
      if (event.type !== "session_end") feed.pendingSessions.add(event.session_id);
    }
  }

  private onSessionEnded(session: SessionView, reason: SessionEndReason): void {
    if (this.feeds.size === 0) return;
    const now = this.clock.now();
    const ended: EndedSession = { ...session, reason };
    let frame: string | undefined;
    for (const feed of this.feeds.values()) {
      if (!matchesFilter(session, feed.filter)) continue;
      feed.refill(now);
      if (feed.pending.length === 0 && feed.pendingEnded.size === 0 && feed.tokens >= 1) {
        feed.tokens -= 1;
        frame ??= serialize("session_ended", ended);
        this.publishTo(feed, frame);
        continue;
      }
      // Over budget (a mass time-out, say): the next tick's visitor_batch carries it in `ended`.
      feed.pendingSessions.delete(session.session_id);
      feed.pendingEnded.set(session.session_id, ended);
    }
  }

  /** The latest activity of each session, leaving out those that have ended since. */
  private activities(sessionIds: ReadonlySet<string>) {
    const activities = [];
    for (const sessionId of sessionIds) {
      const session = this.store.session(sessionId);
      if (session) activities.push(activityOf(session));
    }
    return activities;
  }

  private statsFor(filter: DimensionFilter) {
    return {
      ...this.store.currentStats(filter),
      visitors_last_minute: this.store.visitorsLastMinute(),
    };
  }

  private join(ws: DashboardSocket, filter: DimensionFilter): void {
    const key = feedKey(filter);
    let feed = this.feeds.get(key);
    if (!feed) {
      feed = new Feed(`feed:${key}`, filter, this.options.maxFramesPerSecond, this.clock.now());
      this.feeds.set(key, feed);
    }
    feed.subscribers++;
    ws.data.feed = feed;
    ws.subscribe(feed.topic);
  }

  private leave(ws: DashboardSocket): void {
    const feed = ws.data.feed;
    if (!feed) return;
    ws.data.feed = undefined;
    if (ws.readyState === WebSocket.OPEN) ws.unsubscribe(feed.topic);
    if (--feed.subscribers === 0) this.feeds.delete(feedKey(feed.filter));
  }

  private publishTo(feed: Feed, frame: string): void {
    this.publish(feed.topic, frame, feed.subscribers);
  }

  private publish(topic: string, frame: string, recipients: number): void {
    // Small JSON frames: compressing each costs more than it saves.
    for (const publisher of this.publishers) publisher.publish(topic, frame, false);
    this.unsent.published(frame.length, recipients);
  }

  private sendTo(ws: DashboardSocket, type: string, data: unknown): void {
    this.sendFrame(ws, serialize(type, data));
  }

  private sendFrame(ws: DashboardSocket, frame: string): void {
    this.unsent.sent(ws, frame.length, ws.send(frame, false));
  }
}
