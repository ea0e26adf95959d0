import { LinkedOrder } from "./linked-order.ts";
import type { Session } from "./session.ts";

/**
 * Sessions by id in order of last touch, with O(1) add, touch, delete and oldest. Each session is
 * its own node (its `older` and `newer` links: see LinkedOrder), so the list costs no object per
 * session, and a session is in one list at most (the tracker's active or recently ended ones).
 */
export class SessionList {
  private readonly byId = new Map<string, Session>();
  private readonly order = new LinkedOrder<Session>();

  get size(): number {
    return this.byId.size;
  }

  get(sessionId: string): Session | undefined {
    return this.byId.get(sessionId);
  }

  /** Adds a session that is in no list, as the most recent; one of the same id leaves first. */
  add(session: Session): void {
    const previous = this.byId.get(session.session_id);
    if (previous) this.delete(previous);
    this.byId.set(session.session_id, session);
    this.order.append(session);
  }

  /** Makes a session of this list the most recent. */
  touch(session: Session): void {
    this.order.touch(session);
  }

  /** Takes a session of this list out of it. */
  delete(session: Session): void {
    this.byId.delete(session.session_id);
    this.order.remove(session);
  }

  oldest(): Session | undefined {
    return this.order.oldest;
  }

  newestFirst(): Generator<Session> {
    return this.order.newestFirst();
  }

  oldestFirst(): Generator<Session> {
    return this.order.oldestFirst();
  }

  clear(): void {
    this.order.clear();
    this.byId.clear();
  }
}
