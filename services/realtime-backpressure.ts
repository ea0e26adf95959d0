/** What the budget needs of a dashboard's socket (Bun's ServerWebSocket has both). */
export interface QueuedSocket {
  getBufferedAmount(): number;
  terminate(): void;
}

/**
 * A budget for the bytes queued to dashboards but not yet sent, across all of them. Bun bounds
 * each socket (`backpressureLimit`); this bounds their sum, so many slow readers cannot each hold
 * their share at once. Past the budget, the dashboards with the longest queues are dropped first.
 *
 * Bun's topic publishing does not say which subscriber queued a frame, so the queues are read
 * (`getBufferedAmount`, ~20 ns a socket) in a scan that runs only after frames went out: every
 * tick, and at once whenever a quarter of the budget could have been queued since the last scan.
 * Sockets found with a queue are kept in a set until they drain or close, so the total can be
 * read cheaply at any time.
 */
export class UnsentBudget<S extends QueuedSocket> {
  private readonly backlogged = new Set<S>();
  /** Bytes handed to sockets since the last scan: an upper bound on what queues grew by. */
  private sinceScan = 0;
  private scanning = false;
  private droppedCount = 0;

  constructor(
    private readonly budgetBytes: number,
    private readonly sockets: () => Iterable<S>,
  ) {}

  /** A frame of `bytes` handed to `recipients` sockets (a topic publish). */
  published(bytes: number, recipients: number): void {
    this.sinceScan += bytes * recipients;
    if (this.sinceScan >= this.budgetBytes / 4) this.enforce();
  }

  /** A frame sent to one socket; `status` is what `ws.send` returned (-1: it was queued). */
  sent(ws: S, bytes: number, status: number): void {
    if (status === -1) this.backlogged.add(ws);
    this.published(bytes, 1);
  }

  /** Called every tick: scans if anything went out since the last scan. */
  tick(): void {
    if (this.sinceScan > 0) this.enforce();
  }

  /** The socket's queue emptied (Bun's `drain`), or it closed. */
  forget(ws: S): void {
    this.backlogged.delete(ws);
  }

  unsentBytes(): number {
    let total = 0;
    for (const ws of this.backlogged) total += ws.getBufferedAmount();
    return total;
  }

  get dropped(): number {
    return this.droppedCount;
  }

  /** Reads every queue; past the budget, drops the longest queues until the rest fit. */
  enforce(): void {
    // Dropping closes sockets, whose close handlers publish: no scan inside a scan.
    if (this.scanning) return;
    this.scanning = true;
    try {
      this.sinceScan = 0;
      let total = 0;
      const queued: { ws: S; bytes: number }[] = [];
      for (const ws of this.sockets()) {
        const bytes = ws.getBufferedAmount();
        if (bytes === 0) {
          this.backlogged.delete(ws);
          continue;
        }
        this.backlogged.add(ws);
        queued.push({ ws, bytes });
        total += bytes;
      }
      if (total <= this.budgetBytes) return;
      queued.sort((a, b) => b.bytes - a.bytes);
      for (const { ws, bytes } of queued) {
        if (total <= this.budgetBytes) break;
        total -= bytes;
        this.backlogged.delete(ws);
        this.droppedCount++;
        // terminate, not close: a close frame would wait behind the queue it is meant to free.
        ws.terminate();
      }
    } finally {
      this.scanning = false;
    }
  }
}
