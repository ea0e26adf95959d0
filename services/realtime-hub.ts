import type { ServerWebSocket } from "bun";
import type {
  DimensionFilter,
  SessionEndReason,
  SessionView,
  VisitorEvent,
} from "../interfaces/analytics.ts";
import {
  type DashboardMessage,
  dashboardMessageSchema,
  flattenDashboardFrame,
} from "../schemas/websocket-message.ts";
import type { AnalyticsStore } from "./analytics-store.ts";
import type { Clock } from "./clock.ts";
import type { EventBus } from "./event-bus.ts";
import { OTHER } from "./key-cap.ts";
import type { Logger } from "./logger.ts";
import { matchesFilter } from "./session-tracker.ts";

export interface DashboardSocketData {
  id: number;
  connectedAt: number;
  feed?: Feed;
  messagesInWindow: number;
  messageWindowStart: number;
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
}

/** The coalescing tick; also the longest an event waits once a dashboard is at its frame rate. */
export const TICK_MS = 50;
/** The most events one `visitor_batch` carries; older ones are dropped and counted. */
export const MAX_BATCH_EVENTS = 500;
/** The most ended sessions one `visitor_batch` carries; the rest wait for the next tick. */
export const MAX_BATCH_ENDED = 500;
const MAX_TRACKED_ACTIONS = 100;
const BROADCAST_TOPIC = "dashboards";

/** Dashboards sharing one filter share one Bun topic and one frame budget. */
class Feed {
  subscribers = 0;
  pending: VisitorEvent[] = [];
  /** Sessions with events in the pending batch; their activity is read when the batch goes. */
  pendingSessions = new Set<string>();
  /** Sessions ended while over budget, in the order they ended; sent as `ended` in a batch. */
  pendingEnded = new Map<string, EndedSession>();
  dropped = 0;
  tokens: number;
  lastRefill: number;

  constructor(
    readonly topic: string,
    readonly filter: DimensionFilter,
    private readonly framesPerSecond: number,
    now: number,
  ) {
    this.tokens = framesPerSecond;
    this.lastRefill = now;
  }

  /** A token bucket of frames: `framesPerSecond` a second, bursts up to as many. */
  refill(now: number): void {
    const rate = this.framesPerSecond;
    this.tokens = Math.min(rate, this.tokens + ((now - this.lastRefill) * rate) / 1000);
    this.lastRefill = now;
  }
}

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
  private nextId = 1;

  constructor(
    bus: EventBus,
    private readonly store: AnalyticsStore,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: RealtimeHubOptions,
  ) {
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
    return { id: this.nextId++, connectedAt: now, messagesInWindow: 0, messageWindowStart: now };
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
    this.logger.debug({ dashboard: ws.data.id, code }, "dashboard disconnected");
    this.leave(ws);
    this.broadcast("user_disconnected", { total_dashboards: this.sockets.size });
  }

  message(ws: DashboardSocket, raw: string | Buffer): void {
    const now = this.clock.now();
    if (now - ws.data.messageWindowStart >= 60_000) {
      ws.data.messageWindowStart = now;
      ws.data.messagesInWindow = 0;
    }
    if (++ws.data.messagesInWindow > this.options.messagesPerMinute) {
      sendTo(ws, "error", {
        code: "rate_limited",
        message: `At most ${this.options.messagesPerMinute} messages a minute`,
      });
      return;
    }
    let frame: unknown;
    try {
      frame = JSON.parse(typeof raw === "string" ? raw : raw.toString("utf8"));
    } catch {
      sendTo(ws, "error", {
        code: "invalid_json",
        message: "Each frame must be one JSON object",
      });
      return;
    }
    const parsed = dashboardMessageSchema.safeParse(flattenDashboardFrame(frame));
    if (!parsed.success) {
      const type = (frame as { type?: unknown } | null)?.type;
      const known = dashboardMessageSchema.options.some(
        (option) => option.shape.type.value === type,
      );
      sendTo(
        ws,
        "error",
        known
          ? {
              code: "validation_error",
              message: `Invalid ${String(type)} message`,
              details: parsed.error.issues.map((issue) => ({
                path: issue.path.join("."),
                message: issue.message,
              })),
            }
          : {
              code: "unknown_message",
              message: `Unknown message type: ${JSON.stringify(type ?? null)}`,
            },
      );
      return;
    }
    this.handle(ws, parsed.data);
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
      this.publish(feed.topic, serialize("visitor_batch", data));
      feed.pending = [];
      feed.pendingSessions.clear();
      feed.dropped = 0;
    }
  }

  broadcast(type: string, data: unknown): void {
    this.publish(BROADCAST_TOPIC, serialize(type, data));
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

  private handle(ws: DashboardSocket, message: DashboardMessage): void {
    switch (message.type) {
      case "ping":
        sendTo(ws, "pong", { timestamp: new Date(this.clock.now()).toISOString() });
        return;
      case "request_detailed_stats":
        sendTo(ws, "detailed_stats", {
          ...this.store.detailed(message.filter ?? {}),
          filters_applied: message.filter ?? {},
        });
        return;
      case "subscribe":
        this.leave(ws);
        this.join(ws, message.filter);
        sendTo(ws, "subscribed", { filter: message.filter });
        return;
      case "track_dashboard_action": {
        const action =
          this.actions.has(message.action) || this.actions.size < MAX_TRACKED_ACTIONS
            ? message.action
            : OTHER;
        const count = (this.actions.get(action) ?? 0) + 1;
        this.actions.set(action, count);
        sendTo(ws, "action_tracked", { action: message.action, count });
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
        this.publish(
          feed.topic,
          serialize("visitor_update", { event, stats: this.statsFor(feed.filter) }),
        );
        const activity = current();
        if (activity) this.publish(feed.topic, serialize("session_activity", activityOf(activity)));
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
        this.publish(feed.topic, frame);
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

  private publish(topic: string, frame: string): void {
    // Small JSON frames: compressing each costs more than it saves.
    for (const publisher of this.publishers) publisher.publish(topic, frame, false);
  }
}

function feedKey(filter: DimensionFilter): string {
  return JSON.stringify([filter.site ?? null, filter.country ?? null, filter.page ?? null]);
}

function activityOf(session: SessionView) {
  return {
    session_id: session.session_id,
    current_page: session.current_page,
    journey: session.journey,
    duration: session.duration,
    country: session.country,
    device: session.device,
    site: session.site,
    page_views: session.page_views,
  };
}

function serialize(type: string, data: unknown): string {
  return JSON.stringify({ type, data });
}

function sendTo(ws: DashboardSocket, type: string, data: unknown): void {
  ws.send(serialize(type, data), false);
}

type EndedSession = SessionView & { reason: SessionEndReason };

/** Removes and returns the oldest `limit` entries. */
function takeEnded(pending: Map<string, EndedSession>, limit: number): EndedSession[] {
  const taken: EndedSession[] = [];
  for (const [sessionId, ended] of pending) {
    if (taken.length >= limit) break;
    taken.push(ended);
    pending.delete(sessionId);
  }
  return taken;
}
