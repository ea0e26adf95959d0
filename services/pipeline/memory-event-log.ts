import type { VisitorEvent } from "../../interfaces/analytics.ts";
import type { CommitListener, CommittedEvent, EventLog } from "./event-log.ts";

/**
 * An event log in memory: durable for as long as the process lives. Tests and benchmarks use it;
 * it commits each append at once, telling subscribers before `append` returns.
 */
export class MemoryEventLog implements EventLog {
  private readonly events: CommittedEvent[] = [];
  private readonly listeners: CommitListener[] = [];

  append(events: readonly VisitorEvent[], receivedAt: number): Promise<readonly CommittedEvent[]> {
    const first = this.events.length + 1;
    const committed = events.map((event, index) => ({
      position: first + index,
      event,
      receivedAt,
    }));
    this.events.push(...committed);
    for (const listener of this.listeners) listener(committed);
    return Promise.resolve(committed);
  }

  *readFrom(position: number): Generator<CommittedEvent> {
    for (const committed of this.events.slice(Math.max(0, position))) yield committed;
  }

  lastPosition(): number {
    return this.events.length;
  }

  subscribe(listener: CommitListener): () => void {
    this.listeners.push(listener);
    return () => {
      const index = this.listeners.indexOf(listener);
      if (index >= 0) this.listeners.splice(index, 1);
    };
  }
}
