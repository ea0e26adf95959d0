import type {
  DimensionFilter,
  SessionEndReason,
  SessionView,
  VisitorEvent,
} from "../interfaces/analytics.ts";
import { matchesFilter } from "../schemas/filter-match.ts";
import type { AnalyticsStore } from "./analytics-store.ts";
import type { Clock } from "./clock.ts";
import { BATCH_MAX_BYTES, type Batch, Feed, feedKey } from "./realtime-feed.ts";
import {
  activityOf,
  endedSessionOf,
  eventFrameOf,
  serialize,
  visitorBatchFrame,
  visitorUpdateFrame,
} from "./realtime-frames.ts";

export { BATCH_MAX_BYTES, MAX_BATCH_ENDED, MAX_EVENTS_PER_BATCH_FRAME } from "./realtime-feed.ts";

/**
 * The feeds dashboards are subscribed to (one per filter and delivery) and what goes out on each:
 * every frame built once per event (the event's JSON and its session's activity once for all
 * feeds, the stats once per filter) and published once per feed, whatever its subscribers. When
 * a frame goes is each feed's own policy (realtime-feed.ts).
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

  /** A committed event, at `position` in the event log. */
  event(event: VisitorEvent, position: number | undefined): void {
    if (this.feeds.size === 0) return;
    const now = this.clock.now();
    // Each built once, and only if some feed needs it (a batch reads the latest at its tick).
    let eventJson: string | undefined;
    let visitors: number | undefined;
    let activity: string | undefined | null = null;
    const json = () => {
      eventJson ??= JSON.stringify(eventFrameOf(event, position));
      return eventJson;
    };
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
      if (event.type !== "session_end") feed.sessionActive(event.session_id);
      if (feed.canSendNow(2, now)) {
        visitors ??= this.store.visitorsLastMinute();
        const stats = this.store.liveStatsJson(feed.filter);
        this.publish(feed, visitorUpdateFrame(json(), stats, visitors));
        const frame = activityFrame();
        if (frame) this.publish(feed, frame);
        continue;
      }
      const pending = { json: json(), bytes: Buffer.byteLength(json()), position };
      feed.queueEvent(pending, event.type === "session_end" ? undefined : event.session_id);
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
      feed.queueEnded(ended);
    }
  }

  /** Sends, as one `visitor_batch` per feed, what waited for the feed's frame budget. */
  flush(): void {
    const now = this.clock.now();
    for (const feed of this.feeds.values()) {
      const batch = feed.takeBatch(now);
      if (!batch) continue;
      this.coalescing.visitor_batches_sent++;
      this.coalescing.events_coalesced += batch.events.length;
      this.coalescing.batch_events_dropped += batch.dropped;
      this.publish(feed, this.batchFrame(feed, batch));
    }
  }

  /** Since start: coalesced frames sent, the events they carried, the events left out of them. */
  readonly coalescing = { visitor_batches_sent: 0, events_coalesced: 0, batch_events_dropped: 0 };

  private batchFrame(feed: Feed, batch: Batch): string {
    const stats = {
      ...this.store.currentStats(feed.filter),
      visitors_last_minute: this.store.visitorsLastMinute(),
    };
    return visitorBatchFrame(batch.events, this.activities(batch.sessionIds), {
      stats,
      ...(batch.ended.length > 0 ? { ended: batch.ended } : {}),
      ...(batch.dropped > 0 ? { dropped: batch.dropped } : {}),
    });
  }

  /**
   * The latest activity of each session, leaving out those that have ended since, while they fit
   * BATCH_MAX_BYTES (counted from the sessions that joined the batch last; a dashboard missing one
   * catches up with that session's next activity or its next stats request).
   */
  private activities(sessionIds: readonly string[]): string[] {
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
