import type { ShownEvent } from "./protocol.ts";

export const FEED_LIMIT = 100;
/** Navigations remembered, so a detailed answer's recent events do not bring them back. */
const NAVIGATIONS_KEPT = 500;

/**
 * The live events this view lists, newest first, at most FEED_LIMIT of them. A `session_end`
 * whose session resumes (the tracker's `pagehide` as the visitor follows a link on the site) was a
 * navigation, not a leave: it is taken out.
 */
export class EventFeed {
  /** Newest first. */
  events: ShownEvent[] = [];
  private readonly navigations = new Set<string>();

  /** Events just received from frames, oldest first. */
  add(received: readonly ShownEvent[]): void {
    const newest = received.slice(-FEED_LIMIT).reverse();
    this.events = newest.concat(this.events.slice(0, FEED_LIMIT - newest.length));
  }

  /**
   * Of the events a detailed answer lists (which carry no log position), those the feed does not
   * hold yet, told apart by what they are.
   */
  unseen(events: readonly ShownEvent[]): ShownEvent[] {
    const known = new Set(this.events.map(eventKey));
    return events.filter(
      (event) => !known.has(eventKey(event)) && !this.navigations.has(eventKey(event)),
    );
  }

  /** The session resumed: its latest `session_end` was a navigation to its next page. */
  navigated(sessionId: string): void {
    const index = this.events.findIndex(
      (event) => event.session_id === sessionId && event.type === "session_end",
    );
    const navigation = this.events[index];
    if (!navigation) return;
    if (this.navigations.size >= NAVIGATIONS_KEPT) this.navigations.clear();
    this.navigations.add(eventKey(navigation));
    this.events = this.events.filter((_, at) => at !== index);
  }

  /** Events missed earlier, placed by the time they were received. */
  merge(missed: readonly ShownEvent[]): void {
    if (missed.length === 0) return;
    this.events = [...this.events, ...missed]
      .sort((a, b) => Date.parse(b.received_at) - Date.parse(a.received_at))
      .slice(0, FEED_LIMIT);
  }

  clear(): void {
    this.events = [];
  }
}

function eventKey(event: ShownEvent): string {
  return `${event.received_at}\u0001${event.session_id}\u0001${event.type}\u0001${event.page}`;
}
