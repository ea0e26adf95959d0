import type { FrameData, ServerFrameType } from "../schemas/websocket-protocol.ts";
import { type QueuedSocket, UnsentBudget } from "./realtime-backpressure.ts";
import { serialize } from "./realtime-frames.ts";

/** What the publisher needs of a Bun server: topic publishing. */
export interface FramePublisher {
  publish(topic: string, data: string, compress?: boolean): number;
}

/** What it needs of one dashboard's socket. */
export interface FrameSocket extends QueuedSocket {
  send(data: string, compress?: boolean): number;
}

/**
 * Where every frame leaves the server: to a topic on each Bun server (the HTTP port's and, with
 * WEBSOCKET_PORT, the other), or to one socket, typed by frame type; and what is sent is counted
 * against the unsent-bytes budget across all dashboards (realtime-backpressure.ts).
 */
export class RealtimePublisher<S extends FrameSocket> {
  private readonly publishers: FramePublisher[] = [];
  private readonly unsent: UnsentBudget<S>;

  constructor(totalUnsentBytes: number, sockets: () => Iterable<S>) {
    this.unsent = new UnsentBudget(totalUnsentBytes, sockets);
  }

  addPublisher(publisher: FramePublisher): void {
    this.publishers.push(publisher);
  }

  /** A frame already serialised, to a topic with `recipients` subscribers. */
  publish(topic: string, frame: string, recipients: number): void {
    // Small JSON frames: compressing each costs more than it saves.
    for (const publisher of this.publishers) publisher.publish(topic, frame, false);
    this.unsent.published(frame.length, recipients);
  }

  publishFrame<T extends ServerFrameType>(
    topic: string,
    recipients: number,
    type: T,
    data: FrameData<T>,
  ): void {
    this.publish(topic, serialize(type, data), recipients);
  }

  send<T extends ServerFrameType>(ws: S, type: T, data: FrameData<T>): void {
    this.sendSerialized(ws, serialize(type, data));
  }

  /** A frame already serialised (built once for many dashboards, or by the frame builders). */
  sendSerialized(ws: S, frame: string): void {
    this.unsent.sent(ws, frame.length, ws.send(frame, false));
  }

  /** Every tick: reads the queues if anything went out since the last look. */
  tick(): void {
    this.unsent.tick();
  }

  /** The socket's queue was written out (Bun's `drain`), or it closed. */
  forget(ws: S): void {
    this.unsent.forget(ws);
  }

  stats() {
    return { unsent_bytes: this.unsent.unsentBytes(), slow_readers_dropped: this.unsent.dropped };
  }
}
