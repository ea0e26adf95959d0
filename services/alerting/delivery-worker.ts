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

/** How long a claim outlives the attempt's own deadline (the guard's DNS, the outcome's write). */
const LEASE_MARGIN_MS = 30_000;

/**
 * Sends the log's pending deliveries in the background, off the ingestion path: woken when one
 * is queued, and on a timer for retries. Each attempt's outcome is written to the log at once;
 * a delivery is never sent twice at the same time, and one delivered is never sent again. With a
 * shared log (a cluster), each worker claims what it sends for a lease (DeliveryLog.claimDue):
 * one instance sends each delivery, and one that dies mid-attempt leaves it to another once the
 * lease ends.
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
    /** How long a claim holds; 0 in one process (this worker is the only one, and never overlaps). */
    private readonly leaseMs = 0,
  ) {
    this.limiter = new DestinationRateLimiter(options.destinationPerMinute);
  }

  /** A lease long enough for one attempt: its deadline and a margin. */
  static leaseFor(options: AlertingOptions): number {
    return options.deliveryTimeoutMs + LEASE_MARGIN_MS;
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
      const next = await this.log.nextDueAt();
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
      .then(async () => {
        if (this.stopped) return this.options.pollMs;
        const next = await this.log.nextDueAt();
        return next === undefined
          ? this.options.pollMs
          : Math.min(this.options.pollMs, next - this.clock.now());
      })
      .catch((err) => {
        this.logger.error({ err }, "reading the alert delivery queue failed");
        return this.options.pollMs;
      })
      .then((wait) => {
        this.running = false;
        if (!this.stopped) this.schedule(wait);
      });
  }

  private async sendDue(): Promise<void> {
    const now = this.clock.now();
    // One claim at a time per worker (runOnce never overlaps), its attempts awaited together.
    const due = await this.log.claimDue(now, this.options.concurrency, now + this.leaseMs);
    const sending: Promise<void>[] = [];
    for (const delivery of due) {
      if (this.stopped) {
        await this.log.release(delivery, now);
        continue;
      }
      const waitUntil = this.limiter.take(delivery.destinationId, this.clock.now());
      if (waitUntil !== undefined) {
        await this.log.postpone(delivery, waitUntil);
        continue;
      }
      this.inFlight.add(delivery.id);
      sending.push(this.attempt(delivery).finally(() => this.inFlight.delete(delivery.id)));
    }
    await Promise.all(sending);
  }

  private async attempt(delivery: DueDelivery): Promise<void> {
    const destination = await this.destinations.get(delivery.destinationId);
    const attempts = delivery.attempts + 1;
    if (!destination) {
      await this.log.failed(
        delivery,
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
    if (this.stopped) {
      // Cut short: given back to be tried at once (by another instance, or after the restart).
      // The database may be closing already: the lease then ends by itself.
      await this.log.release(delivery, this.clock.now()).catch(() => {});
      return;
    }
    const now = this.clock.now();
    if (result.ok) {
      if (!(await this.log.delivered(delivery, attempts, result, now))) this.leaseLost(delivery);
      return;
    }
    const { retryBaseMs, retryMaxMs, maxAttempts } = this.options;
    const retryAt =
      result.retryable && attempts < maxAttempts
        ? now + backoffMs(attempts, retryBaseMs, retryMaxMs)
        : undefined;
    if (!(await this.log.failed(delivery, attempts, result, retryAt))) this.leaseLost(delivery);
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

  /** The attempt outlived its lease and another worker took the delivery (it may be sent twice). */
  private leaseLost(delivery: DueDelivery): void {
    this.logger.warn(
      { delivery: delivery.id, alert: delivery.alertId, lease_ms: this.leaseMs },
      "alert delivery outlived its lease; its outcome was not recorded",
    );
  }
}
