import type { Clock } from "../clock.ts";
import type { Logger } from "../logger.ts";
import type { DeliveryLog, DueDelivery } from "./delivery-log.ts";
import type { DestinationStore } from "./destination-store.ts";
import type { AlertingOptions } from "./options.ts";
import { DestinationRateLimiter } from "./rate-limiter.ts";
import type { WebhookSender } from "./webhook-sender.ts";

/** The wait before attempt `attempts + 1`: base, doubled each time, capped. */
export function backoffMs(attempts: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
}

/**
 * Sends the log's pending deliveries in the background, off the ingestion path: woken when one
 * is queued, and on a timer for retries. Each attempt's outcome is written to the log at once;
 * a delivery is never sent twice at the same time, and one delivered is never sent again.
 */
export class DeliveryWorker {
  private readonly inFlight = new Set<number>();
  private readonly limiter: DestinationRateLimiter;
  private readonly abort = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private stopped = true;
  private idle: Promise<void> = Promise.resolve();

  constructor(
    private readonly log: DeliveryLog,
    private readonly destinations: DestinationStore,
    private readonly sender: WebhookSender,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: AlertingOptions,
  ) {
    this.limiter = new DestinationRateLimiter(options.destinationPerMinute);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.wake();
  }

  /** Stops sending; attempts in flight are cut and stay pending (tried again after a restart). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort.abort();
    await this.idle;
  }

  /** Something was queued: look now rather than at the next poll. */
  wake(): void {
    if (this.stopped) return;
    this.schedule(0);
  }

  /** Resolves once nothing is due or in flight (tests wait on it). */
  async settled(): Promise<void> {
    while (!this.stopped) {
      await this.idle;
      const next = this.log.nextDueAt();
      if (this.inFlight.size === 0 && (next === undefined || next > this.clock.now())) return;
      await Bun.sleep(10);
    }
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.runOnce(), Math.max(0, delayMs));
    this.timer.unref?.();
  }

  private runOnce(): void {
    if (this.stopped || this.running) return;
    this.running = true;
    this.idle = this.sendDue()
      .catch((err) => this.logger.error({ err }, "alert delivery failed"))
      .finally(() => {
        this.running = false;
        if (this.stopped) return;
        let wait = this.options.pollMs;
        try {
          const next = this.log.nextDueAt();
          if (next !== undefined) wait = Math.min(wait, next - this.clock.now());
        } catch (err) {
          this.logger.error({ err }, "reading the alert delivery queue failed");
        }
        this.schedule(wait);
      });
  }

  private async sendDue(): Promise<void> {
    const due = this.log
      .due(this.clock.now(), this.options.concurrency * 4)
      .filter((delivery) => !this.inFlight.has(delivery.id));
    const sending: Promise<void>[] = [];
    for (const delivery of due) {
      if (this.stopped || this.inFlight.size >= this.options.concurrency) break;
      const waitUntil = this.limiter.take(delivery.destinationId, this.clock.now());
      if (waitUntil !== undefined) {
        this.log.postpone(delivery.id, waitUntil);
        continue;
      }
      this.inFlight.add(delivery.id);
      sending.push(this.attempt(delivery).finally(() => this.inFlight.delete(delivery.id)));
    }
    await Promise.all(sending);
  }

  private async attempt(delivery: DueDelivery): Promise<void> {
    const destination = this.destinations.get(delivery.destinationId);
    const attempts = delivery.attempts + 1;
    if (!destination) {
      this.log.failed(
        delivery.id,
        attempts,
        { status: null, error: "destination removed" },
        undefined,
      );
      return;
    }
    const result = await this.sender.send(
      destination.url,
      destination.secret,
      delivery.payload,
      this.abort.signal,
    );
    // Stopped mid-attempt: the database may be closing; the delivery stays pending.
    if (this.stopped) return;
    const now = this.clock.now();
    if (result.ok) {
      this.log.delivered(delivery.id, attempts, result, now);
      return;
    }
    const { retryBaseMs, retryMaxMs, maxAttempts } = this.options;
    const retryAt =
      result.retryable && attempts < maxAttempts
        ? now + backoffMs(attempts, retryBaseMs, retryMaxMs)
        : undefined;
    this.log.failed(delivery.id, attempts, result, retryAt);
    this.logger.warn(
      {
        destination: destination.id,
        alert: delivery.alertId,
        attempts,
        error: result.error,
        retry_at: retryAt,
      },
      retryAt === undefined
        ? "alert delivery failed for good"
        : "alert delivery failed; will retry",
    );
  }
}
