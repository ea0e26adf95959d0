import type {
  DimensionFilter,
  SessionEndReason,
  SessionView,
  VisitorEvent,
} from "../interfaces/analytics.ts";
import type { AnalyticsStore } from "./analytics-store.ts";
import type { Clock } from "./clock.ts";
import { toEventView } from "./event-view.ts";
import { Feed, feedKey, takeEnded } from "./realtime-feed.ts";
import {
  activityOf,
  endedSessionOf,
  serialize,
  visitorBatchFrame,
  visitorUpdateFrame,
} from "./realtime-frames.ts";
import { matchesFilter } from "./session-view.ts";

/** The most events one `visitor_batch` carries; older ones are dropped and counted. */
export const MAX_BATCH_EVENTS = 500;
/** The most ended sessions one `visitor_batch` carries; the rest wait for the next tick. */
export const MAX_BATCH_ENDED = 500;
/**
 * Bytes of the events one `visitor_batch` carries, and apart of its sessions: with the stats (at
 * most STATS_MAX_BYTES) a frame stays under ~320 KiB, so one anonymous batch of long events cannot
 * make a frame of megabytes. 500 ordinary events and their sessions fit.
 */
export const BATCH_MAX_BYTES = 128 * 1024;

/**
 * The feeds dashboards are subscribed to (one per filter and delivery) and what goes out on each:
 * every frame built once per event (the event's JSON and its session's activity once for all
 * feeds, the stats once per filter) and published once per feed, whatever its subscribers.
 */
export class FeedFanout {
  private readonly feeds = new Map<string, Feed>();

  constructor(
    private readonly store: AnalyticsStore,
    private readonly clock: Clock,
    private readonly framesPerSecond: number,
    private readonly publish: (feed: Feed, frame: string) => void,
  ) {}

  join(filter: DimensionFilter, batching: boolean): Feed {
    const key = feedId(filter, batching);
    let feed = this.feeds.get(key);
    if (!feed) {
      feed = new Feed(`feed:${key}`, filter, batching, this.framesPerSecond, this.clock.now());
      this.feeds.set(key, feed);
    }
    feed.subscribers++;
    return feed;
  }

  leave(feed: Feed): void {
    if (--feed.subscribers === 0) this.feeds.delete(feedId(feed.filter, feed.batching));
  }

  event(event: VisitorEvent): void {
    if (this.feeds.size === 0) return;
    const now = this.clock.now();
    const view = toEventView(event);
    // Each built once, and only if some feed sends at once (a batch reads the latest at its tick).
    let eventJson: string | undefined;
    let visitors: number | undefined;
    let activity: string | undefined | null = null;
    const activityFrame = () => {
      if (activity !== null) return activity;
      const session = this.store.session(event.session_id);
      activity = session && serialize("session_activity", activityOf(session));
      return activity;
    };
    for (const feed of this.feeds.values()) {
      if (!matchesFilter(event, feed.filter)) continue;
      // A session that comes back before its queued end went out is active again, not ended
      // (its own session_end event arrives here just after it was queued, and keeps it).
      if (event.type !== "session_end") feed.pendingEnded.delete(event.session_id);
      if (feed.canSendNow(2, now)) {
        eventJson ??= JSON.stringify(view);
        visitors ??= this.store.visitorsLastMinute();
        const stats = this.store.currentStatsJson(feed.filter);
        this.publish(feed, visitorUpdateFrame(eventJson, stats, visitors));
        const frame = activityFrame();
        if (frame) this.publish(feed, frame);
        continue;
      }
      eventJson ??= JSON.stringify(view);
      const bytes = Buffer.byteLength(eventJson);
      while (
        feed.pending.length > 0 &&
        (feed.pending.length >= MAX_BATCH_EVENTS || feed.pendingBytes + bytes > BATCH_MAX_BYTES)
      ) {
        feed.pendingBytes -= feed.pendingSizes.shift() ?? 0;
        feed.pending.shift();
        feed.dropped++;
      }
      feed.pending.push(eventJson);
      feed.pendingSizes.push(bytes);
      feed.pendingBytes += bytes;
      if (event.type !== "session_end") feed.pendingSessions.add(event.session_id);
    }
  }

  sessionEnded(session: SessionView, reason: SessionEndReason): void {
    if (this.feeds.size === 0) return;
    const now = this.clock.now();
    // Its journey cut as lists cut it: a whole one can be ~100 KB.
    const ended = endedSessionOf(session, reason);
    let frame: string | undefined;
    for (const feed of this.feeds.values()) {
      if (!matchesFilter(session, feed.filter)) continue;
      if (feed.canSendNow(1, now)) {
        frame ??= serialize("session_ended", ended);
        this.publish(feed, frame);
        continue;
      }
      // Over budget (a mass time-out, say): the next tick's visitor_batch carries it in `ended`.
      feed.pendingSessions.delete(session.session_id);
      feed.pendingEnded.set(session.session_id, ended);
    }
  }

  /** Sends, as one `visitor_batch` per feed, what waited for the feed's frame budget. */
  flush(): void {
    const now = this.clock.now();
    for (const feed of this.feeds.values()) {
      if (feed.pending.length === 0 && feed.pendingEnded.size === 0) continue;
      feed.refill(now);
      // A tick always sends, so latency stays bounded even at a sustained high rate.
      feed.tokens = Math.max(-this.framesPerSecond, feed.tokens - 1);
      const rest: Record<string, unknown> = {
        stats: {
          ...this.store.currentStats(feed.filter),
          visitors_last_minute: this.store.visitorsLastMinute(),
        },
      };
      if (feed.pendingEnded.size > 0) rest.ended = takeEnded(feed.pendingEnded, MAX_BATCH_ENDED);
      if (feed.dropped > 0) rest.dropped = feed.dropped;
      const sessions = this.activities(feed.pendingSessions);
      this.publish(feed, visitorBatchFrame(feed.pending, sessions, rest));
      feed.pending = [];
      feed.pendingSizes = [];
      feed.pendingBytes = 0;
      feed.pendingSessions.clear();
      feed.dropped = 0;
    }
  }

  /**
   * The latest activity of each session, leaving out those that have ended since, while they fit
   * BATCH_MAX_BYTES (counted from the sessions that joined the batch last; a dashboard missing one
   * catches up with that session's next activity or its next stats request).
   */
  private activities(sessionIds: ReadonlySet<string>): string[] {
    const activities: string[] = [];
    let bytes = 0;
    for (const sessionId of [...sessionIds].reverse()) {
      const session = this.store.session(sessionId);
      if (!session) continue;
      const activity = JSON.stringify(activityOf(session));
      bytes += Buffer.byteLength(activity);
      if (bytes > BATCH_MAX_BYTES && activities.length > 0) break;
      activities.push(activity);
    }
    return activities.reverse();
  }
}

/** Dashboards that batch and those that do not never share a feed (nor its topic). */
function feedId(filter: DimensionFilter, batching: boolean): string {
  return `${batching ? "batch" : "each"}:${feedKey(filter)}`;
}
