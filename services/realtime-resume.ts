import type { VisitorEvent } from "../interfaces/analytics.ts";
import type { FrameData } from "../schemas/websocket-protocol.ts";
import { BATCH_MAX_BYTES, MAX_EVENTS_PER_BATCH_FRAME } from "./realtime-feed.ts";
import { eventFrameOf, missedEventsFrame } from "./realtime-frames.ts";

/** The most events a reconnecting dashboard is sent from the log; past it, `resync`. */
export const RESUME_MAX_EVENTS = 1000;
/** The most bytes of them: well within WS_BACKPRESSURE_BYTES (4 MiB), whatever the events hold. */
export const RESUME_MAX_BYTES = 1024 * 1024;

/** What resuming needs of the event log: its last position and the events after one. */
export interface EventLogReader {
  lastPosition(): number;
  readFrom(
    position: number,
    pageSize?: number,
  ): Iterable<{ position: number; event: VisitorEvent }>;
}

export type Resume = { frames: string[] } | { resync: FrameData<"resync"> };

/**
 * What a dashboard reconnecting with `?since=<position>` missed: the events after `since` up to
 * `through` (the log's last position, or just before the oldest event its feed still holds for
 * the next batch, so none comes twice), as `missed_events` frames of at most MAX_EVENTS_PER_BATCH_FRAME
 * events and BATCH_MAX_BYTES. Past `limits` (events or bytes), or from a position the log does not hold (ahead
 * of it, or its events deleted), a `resync` instead: the dashboard reloads its state.
 */
export function missedEvents(
  log: EventLogReader,
  since: number | null,
  through: number | undefined,
  limits = { events: RESUME_MAX_EVENTS, bytes: RESUME_MAX_BYTES },
): Resume {
  const last = log.lastPosition();
  const resync = (reason: FrameData<"resync">["reason"]): Resume => ({
    resync: { reason, position: last },
  });
  if (since === null || since > last) return resync("unknown_position");
  const upTo = Math.min(last, through ?? last);
  if (upTo - since > limits.events) return resync("too_far_behind");
  const frames: string[] = [];
  let events: string[] = [];
  let bytes = 0;
  let total = 0;
  let expected = since + 1;
  for (const { position: id, event } of log.readFrom(since, limits.events + 1)) {
    if (id > upTo) break;
    // Positions are consecutive: a gap means those events were deleted (retention).
    if (id !== expected) return resync("unknown_position");
    expected++;
    const json = JSON.stringify(eventFrameOf(event, id));
    const size = Buffer.byteLength(json);
    total += size;
    if (total > limits.bytes) return resync("too_far_behind");
    if (
      events.length >= MAX_EVENTS_PER_BATCH_FRAME ||
      (events.length > 0 && bytes + size > BATCH_MAX_BYTES)
    ) {
      frames.push(missedEventsFrame(events));
      events = [];
      bytes = 0;
    }
    events.push(json);
    bytes += size;
  }
  if (events.length > 0) frames.push(missedEventsFrame(events));
  return { frames };
}
