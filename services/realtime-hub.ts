import type { ServerWebSocket } from "bun";
import type { Alert, DimensionFilter } from "../interfaces/analytics.ts";
import type { DashboardMessage } from "../schemas/websocket-message.ts";
import type { AnalyticsStore } from "./analytics-store.ts";
import type { Clock } from "./clock.ts";
import type { EventBus } from "./event-bus.ts";
import { OTHER } from "./key-cap.ts";
import type { Logger } from "./logger.ts";
import { type MinuteAllowance, newAllowance, takeAllowance } from "./realtime-allowance.ts";
import { UnsentBudget } from "./realtime-backpressure.ts";
import { DetailedStatsFrames } from "./realtime-detailed.ts";
import { FeedFanout } from "./realtime-fanout.ts";
import { type Feed, normalizedFilter } from "./realtime-feed.ts";
import { replayed, serialize } from "./realtime-frames.ts";
import { parseDashboardFrame, rateLimited } from "./realtime-messages.ts";

export interface DashboardSocketData {
  id: number;
  connectedAt: number;
  /** Asked for coalescing (`?batch=1`, or `subscribe` with `batch: true`). */
  batching: boolean;
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
const MAX_TRACKED_ACTIONS = 100;
const BROADCAST_TOPIC = "dashboards";

/**
 * Pushes live data to dashboards over Bun's native WebSocket topics. Each accepted event goes out
 * as `visitor_update` + `session_activity` (and each ended session as `session_ended`), as the
 * seed's server sent them. A dashboard that asked for coalescing gets them so only while its feed
 * is within its frame budget; past it, events and ended sessions are coalesced into one
 * `visitor_batch` per tick, so a burst of either costs it at most one frame a tick. The others
 * are bounded only by their unsent bytes (slow readers are dropped).
 */
export class RealtimeHub {
  private readonly sockets = new Set<DashboardSocket>();
  private readonly fanout: FeedFanout;
  private readonly publishers: FramePublisher[] = [];
  private readonly actions = new Map<string, number>();
  private readonly unsent: UnsentBudget<DashboardSocket>;
  private readonly detailedFrames: DetailedStatsFrames;
  private nextId = 1;
  private currentAlerts: () => Alert[] = () => [];

  constructor(
    bus: EventBus,
    store: AnalyticsStore,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: RealtimeHubOptions,
  ) {
    this.unsent = new UnsentBudget(options.totalUnsentBytes, () => this.sockets);
    this.detailedFrames = new DetailedStatsFrames(store, clock);
    this.fanout = new FeedFanout(store, clock, options.maxFramesPerSecond, (feed, frame) =>
      this.publish(feed.topic, frame, feed.subscribers),
    );
    bus.on("visitor.event", ({ event }) => this.fanout.event(event));
    bus.on("session.ended", ({ session, reason }) => this.fanout.sessionEnded(session, reason));
    bus.on("alert", (alert) => this.broadcast("alert", alert));
  }

  /** Where a dashboard that connects learns the alert state (spike in progress, last milestone). */
  replayAlertsFrom(source: () => Alert[]): void {
    this.currentAlerts = source;
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

  newSocketData(options: { batching: boolean }): DashboardSocketData {
    const now = this.clock.now();
    return {
      id: this.nextId++,
      connectedAt: now,
      batching: options.batching,
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
    // A dashboard opened during a spike shows it, not "no alerts".
    for (const alert of this.currentAlerts()) this.sendTo(ws, "alert", replayed(alert));
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
    this.fanout.flush();
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
        if (message.batch !== undefined) ws.data.batching = message.batch;
        this.leave(ws);
        this.join(ws, message.filter);
        this.sendTo(ws, "subscribed", {
          filter: normalizedFilter(message.filter),
          batch: ws.data.batching,
        });
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
