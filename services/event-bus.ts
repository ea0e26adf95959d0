import type {
  Alert,
  SessionEndReason,
  SessionView,
  VisitorEvent,
} from "../interfaces/analytics.ts";

/** Every topic on the one in-process bus and what it carries. */
export interface BusTopics {
  /** An accepted event; `receivedAt` is the server's clock in ms. */
  "visitor.event": { event: VisitorEvent; receivedAt: number };
  "session.ended": { session: SessionView; reason: SessionEndReason };
  alert: Alert;
}

type Handler<T> = (payload: T) => void;

/**
 * Synchronous publish-subscribe: subscribers run in the order they subscribed, so the store
 * has counted an event before the realtime hub and the alert detector read it.
 */
export class EventBus {
  private readonly handlers: { [K in keyof BusTopics]?: Handler<BusTopics[K]>[] } = {};

  on<K extends keyof BusTopics>(topic: K, handler: Handler<BusTopics[K]>): () => void {
    const list = (this.handlers[topic] ?? []) as Handler<BusTopics[K]>[];
    this.handlers[topic] = list as (typeof this.handlers)[K];
    list.push(handler);
    return () => {
      const index = list.indexOf(handler);
      if (index >= 0) list.splice(index, 1);
    };
  }

  emit<K extends keyof BusTopics>(topic: K, payload: BusTopics[K]): void {
    const list = this.handlers[topic] as Handler<BusTopics[K]>[] | undefined;
    if (!list) return;
    for (const handler of list) handler(payload);
  }
}
