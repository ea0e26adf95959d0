import type { Alert } from "../../interfaces/analytics.ts";
import type { DestinationInput, StoredAlert } from "../../schemas/alerting.ts";
import { type Clock, utcDay } from "../clock.ts";
import type { Logger } from "../logger.ts";
import type { Reaction, Step } from "../pipeline/step.ts";
import type { AlertHistory } from "./alert-history.ts";
import type { AlertingStores } from "./alerting-stores.ts";
import type { DeliveryLog } from "./delivery-log.ts";
import { DeliveryWorker } from "./delivery-worker.ts";
import { dashboardLink, messageBody } from "./destination-formats.ts";
import type { DestinationStore, DestinationTarget } from "./destination-store.ts";
import type { AlertingOptions } from "./options.ts";
import { RuleEvaluator } from "./rule-evaluator.ts";
import type { RuleStore } from "./rule-store.ts";
import { newSecret } from "./signer.ts";
import type { TrafficSeed } from "./site-traffic.ts";
import { type Resolver, WebhookGuard } from "./ssrf-guard.ts";
import { WebhookSender } from "./webhook-sender.ts";

export interface AlertingDependencies {
  /** Where rules, destinations, history and deliveries are kept (alertingStoresFor(services)). */
  stores: AlertingStores;
  clock: Clock;
  logger: Logger;
  /** The last position the pipeline applied (ids of alerts raised on a tick). */
  position: () => number;
  /** Tells the dashboards of a rule's alert (the server-wide ones reach them already). */
  broadcast: (alert: Alert) => void;
  seed?: TrafficSeed;
  /** DNS for the SSRF guard (tests inject one; node:dns otherwise). */
  resolver?: Resolver;
}

/**
 * Alerts that leave the building (docs/alerts.md): the rules per site, evaluated on each step of
 * the pipeline (a reaction) and on its own tick; every alert kept in the history and queued for
 * each destination, sent in the background by the worker. The server-wide detector's alerts
 * (the step's) are kept and delivered too.
 *
 * In a cluster the stores are the shared Postgres: every instance evaluates the rules on the same
 * log and raises the same alert under the same id; the history keeps it once, the log queues it
 * once per destination, and the workers' leases let one instance send each delivery. Rules are
 * read again every `rulesReloadMs` (another instance may have changed them).
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
  private readonly shared: boolean;
  private tickTimer: ReturnType<typeof setInterval> | undefined;
  private reloadTimer: ReturnType<typeof setInterval> | undefined;
  /** Reloads one after another, so an older read never replaces a newer one. */
  private reloading: Promise<void> = Promise.resolve();
  /** Alerts recorded, told and queued in the order they were raised. */
  private raising: Promise<void> = Promise.resolve();
  /** The server-wide spike in progress, so its end's id follows from its raise's. */
  private serverSpikeId: string | undefined;

  constructor(
    private readonly deps: AlertingDependencies,
    readonly options: AlertingOptions,
  ) {
    const { stores } = deps;
    this.rules = stores.rules;
    this.destinations = stores.destinations;
    this.history = stores.history;
    this.deliveries = stores.deliveries;
    this.shared = stores.shared;
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
      this.shared ? DeliveryWorker.leaseFor(options) : 0,
    );
    this.evaluator = new RuleEvaluator(deps.seed);
    void this.reloadRules();
    this.rules.onChange(() => this.reloadRules());
  }

  /**
   * Starts the worker (pending deliveries from before a restart go first), the rules' tick and,
   * with shared stores, their reload.
   */
  start(): void {
    this.worker.start();
    clearInterval(this.tickTimer);
    this.tickTimer = setInterval(() => void this.tick(this.deps.clock.now()), this.options.tickMs);
    this.tickTimer.unref?.();
    clearInterval(this.reloadTimer);
    if (!this.shared) return;
    this.reloadTimer = setInterval(() => void this.reloadRules(), this.options.rulesReloadMs);
    this.reloadTimer.unref?.();
  }

  async stop(): Promise<void> {
    clearInterval(this.tickTimer);
    clearInterval(this.reloadTimer);
    await this.worker.stop();
  }

  /** Resolves once the rules are read and every alert raised so far is recorded and queued. */
  async settled(): Promise<void> {
    await this.reloading;
    await this.raising;
  }

  /** A step of the pipeline: the detector's alerts, then the rules on its event. */
  react(step: Step): void {
    for (const alert of step.alerts) void this.raise(this.serverAlert(alert, step), false);
    if (!step.committed) return;
    const { event, position, receivedAt } = step.committed;
    for (const alert of this.evaluator.observe(event, position, receivedAt))
      void this.raise(alert, true);
  }

  /** Time passed: drops begin, spikes end. Resolves once their alerts are recorded and queued. */
  tick(now: number): Promise<void> {
    for (const alert of this.evaluator.tick(now)) void this.raise(alert, true);
    return this.raising;
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
    const destination = await this.destinations.create(input, secret, this.deps.clock.now());
    return { destination, secret };
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
    const id = await this.deliveries.sendingNow(alert.id, destination.id, payload, now);
    const result = await this.sender.send(destination.url, destination.secret, payload);
    if (id !== undefined) {
      if (result.ok) await this.deliveries.delivered(id, 1, result, this.deps.clock.now());
      else await this.deliveries.failed(id, 1, result, undefined);
    }
    return {
      delivered: result.ok,
      delivery: id === undefined ? undefined : await this.deliveries.get(id),
    };
  }

  /** The rules as stored now; a rule new to the evaluator starts from its latest alerts. */
  private reloadRules(): Promise<void> {
    this.reloading = this.reloading
      .then(async () => {
        const rules = await this.rules.list();
        const histories = new Map<number, StoredAlert[]>();
        for (const rule of rules) {
          if (!this.evaluator.knows(rule.id))
            histories.set(rule.id, await this.history.latestOfRule(rule.id));
        }
        this.evaluator.setRules(rules, (id) => histories.get(id) ?? [], this.deps.clock.now());
      })
      .catch((err) => this.deps.logger.error({ err }, "reading the alert rules failed"));
    return this.reloading;
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

  /** Recorded, told and queued after the alerts raised before it. */
  private raise(alert: StoredAlert, broadcast: boolean): Promise<void> {
    this.raising = this.raising.then(() => this.keep(alert, broadcast));
    return this.raising;
  }

  /**
   * Kept once, told to the dashboards (rules' alerts), queued for each destination. One process
   * that finds the alert recorded already is replaying it: nothing more to do. In a cluster it
   * may be another instance's record of the same alert: this instance's dashboards are told all
   * the same, and queueing again changes nothing (one row per alert and destination) but covers
   * an instance that died before queueing.
   */
  private async keep(alert: StoredAlert, broadcast: boolean): Promise<void> {
    try {
      if (!(await this.history.record(alert)) && !this.shared) return;
    } catch (err) {
      this.deps.logger.error({ err, alert: alert.id }, "recording an alert failed");
      return;
    }
    if (broadcast) this.deps.broadcast(alert);
    try {
      const now = this.deps.clock.now();
      let queued = false;
      for (const destination of await this.destinations.forSite(alert.site)) {
        const payload = this.payloadFor(destination, alert);
        const id = await this.deliveries.enqueue(alert.id, destination.id, payload, now);
        queued ||= id !== undefined;
      }
      if (queued) this.worker.wake();
    } catch (err) {
      this.deps.logger.error({ err, alert: alert.id }, "queueing an alert delivery failed");
    }
  }

  private payloadFor(destination: DestinationTarget, alert: StoredAlert): string {
    const dashboardUrl = dashboardLink(this.options.publicUrl, alert.site);
    return messageBody(destination.type, alert, { dashboardUrl });
  }
}
