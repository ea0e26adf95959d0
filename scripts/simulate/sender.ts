/**
 * Sends the simulator's events in batches, in the order they fell due, one POST at a time.
 *
 * A default server allows 100 ingestion requests a minute from one client (RATE_LIMIT_PER_MINUTE),
 * while the simulator's traffic is several events a second: everything due since the last POST
 * goes in one batch (up to the server's 500 events), and POSTs are at least MIN_POST_GAP_MS apart,
 * so a run stays under 60 requests a minute. A 429 is waited out (its Retry-After) and retried.
 */

export const MIN_POST_GAP_MS = 1000;
/** POST /api/events takes at most this many events in one batch (MAX_BATCH_EVENTS' default). */
export const MAX_BATCH_EVENTS = 500;
/** Retries of one batch refused with 429 before its events count as failed. */
export const MAX_RATE_LIMIT_RETRIES = 3;
/** A Retry-After longer than this is not waited for in full (fixed windows can say up to 60 s). */
const MAX_RETRY_WAIT_MS = 60_000;

export interface SendTotals {
  sent: number;
  failed: number;
  /** 429 answers received, retried or not. */
  rateLimited: number;
}

interface QueuedEvent {
  due: number;
  order: number;
  event: Record<string, unknown>;
}

/** Resolves after `ms`, or at once when the signal aborts. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

export class BatchSender {
  readonly totals: SendTotals = { sent: 0, failed: 0, rateLimited: 0 };
  private queue: QueuedEvent[] = [];
  private order = 0;
  private closed = false;

  constructor(
    private readonly endpoint: string,
    private readonly hooks: {
      signal?: AbortSignal;
      /** Called for every event once it is sent or given up on. */
      onSettled?: (event: Record<string, unknown>) => void;
      /** Called on each 429, with how long the sender will wait. */
      onRateLimited?: (waitMs: number, willRetry: boolean) => void;
    } = {},
  ) {}

  /** Queues an event for `due` (ms since the epoch); ties keep the order they were queued in. */
  schedule(due: number, event: Record<string, unknown>): void {
    this.queue.push({ due, order: this.order++, event });
  }

  get queued(): number {
    return this.queue.length;
  }

  /** No more events will be scheduled: run() returns once the queue is empty. */
  close(): void {
    this.closed = true;
  }

  /** Sends until closed and drained, or aborted. */
  async run(): Promise<void> {
    const { signal } = this.hooks;
    while (!signal?.aborted) {
      const now = Date.now();
      const due = this.takeDue(now);
      if (due.length === 0) {
        if (this.closed && this.queue.length === 0) return;
        await pause(50, signal);
        continue;
      }
      for (let start = 0; start < due.length && !signal?.aborted; start += MAX_BATCH_EVENTS)
        await this.send(due.slice(start, start + MAX_BATCH_EVENTS));
      await pause(now + MIN_POST_GAP_MS - Date.now(), signal);
    }
  }

  private takeDue(now: number): Record<string, unknown>[] {
    const due: QueuedEvent[] = [];
    const later: QueuedEvent[] = [];
    for (const queued of this.queue) (queued.due <= now ? due : later).push(queued);
    this.queue = later;
    return due.sort((a, b) => a.due - b.due || a.order - b.order).map(({ event }) => event);
  }

  private async send(batch: Record<string, unknown>[]): Promise<void> {
    const { signal } = this.hooks;
    for (let attempt = 0; ; attempt++) {
      let status: number;
      let retryAfter: string | null = null;
      try {
        const response = await fetch(this.endpoint, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(batch),
        });
        await response.arrayBuffer();
        status = response.status;
        retryAfter = response.headers.get("retry-after");
      } catch {
        status = 0;
      }
      if (status === 429) {
        this.totals.rateLimited++;
        const seconds = Number(retryAfter);
        const waitMs = Math.min(
          MAX_RETRY_WAIT_MS,
          Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 1000,
        );
        const willRetry = attempt < MAX_RATE_LIMIT_RETRIES && !signal?.aborted;
        this.hooks.onRateLimited?.(waitMs, willRetry);
        if (willRetry) {
          await pause(waitMs, signal);
          if (!signal?.aborted) continue;
        }
      }
      if (status === 201) this.totals.sent += batch.length;
      else this.totals.failed += batch.length;
      for (const event of batch) this.hooks.onSettled?.(event);
      return;
    }
  }
}
