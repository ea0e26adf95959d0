import type { Database } from "bun:sqlite";
import type { Alert } from "../../interfaces/analytics.ts";
import type { DestinationInput, StoredAlert } from "../../schemas/alerting.ts";
import { type Clock, utcDay } from "../clock.ts";
import type { Logger } from "../logger.ts";
import type { Reaction, Step } from "../pipeline/step.ts";
import { AlertHistory } from "./alert-history.ts";
import { type DeliveryClaim, singleProcessClaim } from "./delivery-claim.ts";
import { DeliveryLog } from "./delivery-log.ts";
import { DeliveryWorker } from "./delivery-worker.ts";
import { dashboardLink, messageBody } from "./destination-formats.ts";
import { DestinationStore, type DestinationTarget } from "./destination-store.ts";
import type { AlertingOptions } from "./options.ts";
import { RuleEvaluator } from "./rule-evaluator.ts";
import { type RuleDefaults, RuleStore } from "./rule-store.ts";
import { newSecret } from "./signer.ts";
import type { TrafficSeed } from "./site-traffic.ts";
import { type Resolver, WebhookGuard } from "./ssrf-guard.ts";
import { WebhookSender } from "./webhook-sender.ts";

export interface AlertingDependencies {
  db: () => Database;
  clock: Clock;
  logger: Logger;
  defaults: RuleDefaults;
  /** The last position the pipeline applied (ids of alerts raised on a tick). */
  position: () => number;
  /** Tells the dashboards of a rule's alert (the server-wide ones reach them already). */
  broadcast: (alert: Alert) => void;
  seed?: TrafficSeed;
  claim?: DeliveryClaim;
  /** DNS for the SSRF guard (tests inject one; node:dns otherwise). */
  resolver?: Resolver;
}

/** How long a cluster's claim on an alert's delivery holds. */
const CLAIM_TTL_MS = 24 * 3600_000;

/**
 * Alerts that leave the building (docs/alerts.md): the rules per site, evaluated on each step of
 * the pipeline (a reaction) and on its own tick; every alert kept in the history and queued for
 * each destination, sent in the background by the worker. The server-wide detector's alerts
 * (the step's) are kept and delivered too.
 */
export class AlertingService implements Reaction {
  readonly name = "alerting";
  readonly rules: RuleStore;
  readonly destinations: DestinationStore;
  readonly history: AlertHistory;
  readonly deliveries: DeliveryLog;
  readonly guard: WebhookGuard;
  readonly worker: DeliveryWorker;
  private readonly evaluator: RuleEvaluator;
  private readonly sender: WebhookSender;
  private readonly claim: DeliveryClaim;
  private tickTimer: ReturnType<typeof setInterval> | undefined;
  /** The server-wide spike in progress, so its end's id follows from its raise's. */
  private serverSpikeId: string | undefined;

  constructor(
    private readonly deps: AlertingDependencies,
    readonly options: AlertingOptions,
  ) {
    this.rules = new RuleStore(deps.db, deps.defaults);
    this.destinations = new DestinationStore(deps.db);
    this.history = new AlertHistory(deps.db);
    this.deliveries = new DeliveryLog(deps.db);
    this.guard = new WebhookGuard(options.allowPrivateWebhooks, deps.resolver);
    this.sender = new WebhookSender(this.guard, deps.clock, {
      timeoutMs: options.deliveryTimeoutMs,
      maxResponseBytes: options.maxResponseBytes,
    });
    this.worker = new DeliveryWorker(
      this.deliveries,
      this.destinations,
      this.sender,
      deps.clock,
      deps.logger,
      options,
    );
    this.claim = deps.claim ?? singleProcessClaim;
    this.evaluator = new RuleEvaluator(deps.seed);
    this.reloadRules();
    this.rules.onChange(() => this.reloadRules());
  }

  /** Starts the worker (pending deliveries from before a restart go first) and the rules' tick. */
  start(): void {
    this.worker.start();
    clearInterval(this.tickTimer);
    this.tickTimer = setInterval(() => this.tick(this.deps.clock.now()), this.options.tickMs);
    this.tickTimer.unref?.();
  }

  async stop(): Promise<void> {
    clearInterval(this.tickTimer);
    await this.worker.stop();
  }

  /** A step of the pipeline: the detector's alerts, then the rules on its event. */
  react(step: Step): void {
    for (const alert of step.alerts) this.raise(this.serverAlert(alert, step), false);
    if (!step.committed) return;
    const { event, position, receivedAt } = step.committed;
    for (const alert of this.evaluator.observe(event, position, receivedAt))
      this.raise(alert, true);
  }

  /** Time passed: drops begin, spikes end. */
  tick(now: number): void {
    for (const alert of this.evaluator.tick(now)) this.raise(alert, true);
  }

  /** The rules' alerts in progress, for a dashboard that connects. */
  current(): Alert[] {
    return this.evaluator.current();
  }

  /** Checks the URL (resolved), then keeps the destination with a new secret, returned once. */
  async addDestination(
    input: DestinationInput,
  ): Promise<{ destination: DestinationTarget; secret: string }> {
    await this.guard.check(input.url);
    const secret = newSecret();
    return { destination: this.destinations.create(input, secret, this.deps.clock.now()), secret };
  }

  /** Sends a sample alert to a destination now, once; logged like any delivery. */
  async test(destination: DestinationTarget) {
    const now = this.deps.clock.now();
    const alert: StoredAlert = {
      id: `test-${destination.id}-${now}`,
      rule_id: null,
      site: destination.site ?? "example.com",
      kind: "spike",
      level: "warning",
      message: `Test alert from Footfall to ${destination.name}: deliveries work.`,
      details: { visitors_last_minute: 42, threshold: 10, window_seconds: 60, test: "true" },
      timestamp: new Date(now).toISOString(),
    };
    const payload = this.payloadFor(destination, alert);
    // Not through the queue: the answer says at once whether the receiver took it.
    const id = this.deliveries.sendingNow(alert.id, destination.id, payload, now);
    const result = await this.sender.send(destination.url, destination.secret, payload);
    if (id !== undefined) {
      if (result.ok) this.deliveries.delivered(id, 1, result, this.deps.clock.now());
      else this.deliveries.failed(id, 1, result, undefined);
    }
    return {
      delivered: result.ok,
      delivery: id === undefined ? undefined : this.deliveries.get(id),
    };
  }

  private reloadRules(): void {
    const now = this.deps.clock.now();
    this.evaluator.setRules(this.rules.list(), (id) => this.history.latestOfRule(id), now);
  }

  /** The detector's alert with an id every instance computes alike. */
  private serverAlert(alert: Alert, step: Step): StoredAlert {
    const position = step.committed?.position ?? this.deps.position();
    let id: string;
    if (alert.kind === "milestone")
      id = `server:milestone:${utcDay(step.now)}:${alert.details.milestone}`;
    else if (alert.kind === "spike_ended" && this.serverSpikeId) id = `${this.serverSpikeId}:ended`;
    else id = `server:${alert.kind}:${position}`;
    this.serverSpikeId = alert.kind === "spike" ? id : undefined;
    return {
      id,
      rule_id: null,
      site: null,
      kind: alert.kind,
      level: alert.level,
      message: alert.message,
      details: alert.details,
      timestamp: alert.timestamp,
    };
  }

  /** Kept once, told to the dashboards (rules' alerts), queued for each destination. */
  private raise(alert: StoredAlert, broadcast: boolean): void {
    try {
      if (!this.history.record(alert)) return;
    } catch (err) {
      this.deps.logger.error({ err, alert: alert.id }, "recording an alert failed");
      return;
    }
    if (broadcast) this.deps.broadcast(alert);
    for (const destination of this.destinations.forSite(alert.site)) {
      void this.queue(alert, destination);
    }
  }

  private async queue(alert: StoredAlert, destination: DestinationTarget): Promise<void> {
    try {
      if (!(await this.claim.claim(`${alert.id}|${destination.id}`, CLAIM_TTL_MS))) return;
      const now = this.deps.clock.now();
      const payload = this.payloadFor(destination, alert);
      if (this.deliveries.enqueue(alert.id, destination.id, payload, now) !== undefined) {
        this.worker.wake();
      }
    } catch (err) {
      this.deps.logger.error({ err, alert: alert.id }, "queueing an alert delivery failed");
    }
  }

  private payloadFor(destination: DestinationTarget, alert: StoredAlert): string {
    const dashboardUrl = dashboardLink(this.options.publicUrl, alert.site);
    return messageBody(destination.type, alert, { dashboardUrl });
  }
}
