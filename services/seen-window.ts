import type { Session, Sighting } from "./session.ts";

/**
 * The distinct sessions seen within the last `windowMs` (events other than `session_end`), in
 * order of last sighting and pruned from the oldest, so touch and count are amortised O(1);
 * bounded: past `maxKeys` the stalest goes. A live session is its own node (its `seen*` fields),
 * so the window costs no object per session; one that ends while in the window leaves a small
 * node of its id and sighting in its place (found by id, should the id come back), so the count
 * is the same as if every session id had its own entry.
 */
export class SeenWindow {
  /** What is left of sessions that ended within the window, by id. */
  private readonly endedById = new Map<string, Sighting>();
  private oldestNode: Sighting | undefined;
  private newestNode: Sighting | undefined;
  private length = 0;

  constructor(
    readonly windowMs: number,
    private readonly maxKeys: number,
  ) {}

  /** The session was seen at `now`: it becomes the newest sighting of its id. */
  touch(session: Session, now: number): void {
    if (this.holds(session)) {
      this.unlink(session);
    } else {
      const left = this.endedById.get(session.session_id);
      if (left) this.forget(left);
    }
    session.seenAt = now;
    this.link(session);
    if (this.length > this.maxKeys && this.oldestNode) this.forget(this.oldestNode);
  }

  /** A session ended: what is left of it keeps its place until it leaves the window. */
  ended(session: Session): void {
    if (!this.holds(session)) return;
    const left: Sighting = {
      session_id: session.session_id,
      seenAt: session.seenAt,
      seenOlder: session.seenOlder,
      seenNewer: session.seenNewer,
    };
    if (left.seenOlder) left.seenOlder.seenNewer = left;
    else this.oldestNode = left;
    if (left.seenNewer) left.seenNewer.seenOlder = left;
    else this.newestNode = left;
    session.seenOlder = undefined;
    session.seenNewer = undefined;
    this.endedById.set(left.session_id, left);
  }

  /**
   * Sessions seen within the window before `now`. A read changes nothing: it steps over those
   * that left the window since the last event or tick (at most a second's worth).
   */
  count(now: number): number {
    let left = 0;
    for (let node = this.oldestNode; node; node = node.seenNewer) {
      if (now - node.seenAt < this.windowMs) break;
      left++;
    }
    return this.length - left;
  }

  /** Forgets the sightings that left the window (on events and the clock's tick). */
  prune(now: number): void {
    while (this.oldestNode && now - this.oldestNode.seenAt >= this.windowMs)
      this.forget(this.oldestNode);
  }

  /** `[session id, seen at]`, oldest first: the snapshot's shape of the window. */
  exportState(): [string, number][] {
    const entries: [string, number][] = [];
    for (let node = this.oldestNode; node; node = node.seenNewer)
      entries.push([node.session_id, node.seenAt]);
    return entries;
  }

  /** Restores exported sightings, each on its live session when one of that id is active. */
  importState(
    entries: readonly [string, number][],
    activeSession: (sessionId: string) => Session | undefined,
  ): void {
    this.clear();
    for (const [sessionId, seenAt] of entries) {
      const session = activeSession(sessionId);
      if (session) {
        this.touch(session, seenAt);
      } else {
        const left = this.endedById.get(sessionId);
        if (left) this.forget(left);
        const node: Sighting = {
          session_id: sessionId,
          seenAt,
          seenOlder: undefined,
          seenNewer: undefined,
        };
        this.link(node);
        this.endedById.set(sessionId, node);
      }
    }
  }

  private clear(): void {
    while (this.oldestNode) this.forget(this.oldestNode);
  }

  private holds(node: Sighting): boolean {
    return node.seenOlder !== undefined || node.seenNewer !== undefined || node === this.oldestNode;
  }

  private forget(node: Sighting): void {
    this.unlink(node);
    if (this.endedById.get(node.session_id) === node) this.endedById.delete(node.session_id);
  }

  private link(node: Sighting): void {
    node.seenOlder = this.newestNode;
    node.seenNewer = undefined;
    if (this.newestNode) this.newestNode.seenNewer = node;
    this.newestNode = node;
    this.oldestNode ??= node;
    this.length++;
  }

  private unlink(node: Sighting): void {
    if (node.seenOlder) node.seenOlder.seenNewer = node.seenNewer;
    else this.oldestNode = node.seenNewer;
    if (node.seenNewer) node.seenNewer.seenOlder = node.seenOlder;
    else this.newestNode = node.seenOlder;
    node.seenOlder = undefined;
    node.seenNewer = undefined;
    this.length--;
  }
}
