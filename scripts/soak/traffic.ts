/**
 * Steady mixed traffic for the soak: many sessions over several sites, planned as the simulator
 * plans them (pageviews, clicks, custom events, a session_end), some on long article pages, sent at
 * a fixed rate as single POSTs and batches.
 */
import { planSession, type Random, seededRandom } from "../simulate/plan.ts";

export const SITES = ["shop.example", "blog.example", "docs.example", "app.example"];
const TICK_MS = 100;
/** Requests in flight at most; events due while at the cap wait for the next tick. */
const MAX_IN_FLIGHT = 64;
const LONG_SLUG = "a-long-read-about-real-time-visitor-analytics-sessions-and-the-art-of-counting";

export interface TrafficTotals {
  /** Events in requests that got an answer or failed. */
  sent: number;
  /** Events in requests answered 2xx. */
  acknowledged: number;
  /** Events in requests answered non-2xx other than 429, or that failed on the network. */
  failed: number;
  rateLimited: number;
  /** The first few failures, for the report. */
  failures: string[];
}

type PlannedEvent = Record<string, unknown>;

/** Endless sessions, interleaved: each call gives the next event of one of `live` open sessions. */
class SessionMix {
  private readonly random: Random;
  private readonly open: PlannedEvent[][] = [];
  private nextId = 0;

  constructor(
    private readonly live: number,
    private readonly runId: string,
    seed: number,
  ) {
    this.random = seededRandom(seed);
  }

  next(): PlannedEvent {
    while (this.open.length < this.live) this.open.push(this.plan());
    const index = Math.floor(this.random() * this.open.length);
    const session = this.open[index] as PlannedEvent[];
    const event = session.shift() as PlannedEvent;
    if (session.length === 0) this.open[index] = this.plan();
    return event;
  }

  private plan(): PlannedEvent[] {
    const id = `soak-${this.runId}-${this.nextId++}`;
    const site = SITES[this.nextId % SITES.length] as string;
    const events = planSession(this.random, { id, site }).map(({ event }) => event);
    // One session in ten reads long articles: long paths and titles, a bounded set of them.
    if (this.random() < 0.1) {
      const article = Math.floor(this.random() * 300);
      for (const event of events) {
        if (event.type === "session_end") continue;
        event.page = `/articles/${LONG_SLUG}-${article}?utm_source=newsletter&utm_medium=email`;
        if (event.type === "pageview") event.title = `${LONG_SLUG.replaceAll("-", " ")} ${article}`;
      }
    }
    return events;
  }
}

/** Sends `rate` events a second to `endpoint` until stopped. */
export class Traffic {
  readonly totals: TrafficTotals = {
    sent: 0,
    acknowledged: 0,
    failed: 0,
    rateLimited: 0,
    failures: [],
  };
  private readonly mix: SessionMix;
  private readonly random: Random;
  private inFlight = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private owed = 0;
  private last = 0;
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly endpoint: string,
    private readonly rate: number,
    seed: number,
  ) {
    this.mix = new SessionMix(Math.max(50, rate), String(seed), seed);
    this.random = seededRandom(seed + 1);
  }

  start(): void {
    this.last = performance.now();
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  /** Stops sending and waits for the requests in flight. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(this.pending);
  }

  private tick(): void {
    const now = performance.now();
    // At most a second owed: a server that stalls is not then hit by the whole backlog at once.
    this.owed = Math.min(this.rate, this.owed + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    // Half the requests carry one event, the rest a batch of 2 to 20.
    while (this.owed >= 1 && this.inFlight < MAX_IN_FLIGHT) {
      const size =
        this.random() < 0.5
          ? 1
          : Math.min(Math.floor(this.owed), 2 + Math.floor(this.random() * 19));
      const events = Array.from({ length: size }, () => this.mix.next());
      this.owed -= size;
      this.post(size === 1 ? events[0] : events, size);
    }
  }

  private post(body: unknown, count: number): void {
    this.inFlight++;
    const request = fetch(this.endpoint, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    })
      .then(async (response) => {
        await response.arrayBuffer();
        if (response.ok) this.totals.acknowledged += count;
        else if (response.status === 429) this.totals.rateLimited += count;
        else this.fail(count, `HTTP ${response.status}`);
      })
      .catch((error: Error) => this.fail(count, error.message))
      .finally(() => {
        this.totals.sent += count;
        this.inFlight--;
        this.pending.delete(request);
      });
    this.pending.add(request);
  }

  private fail(count: number, why: string): void {
    this.totals.failed += count;
    if (this.totals.failures.length < 5) this.totals.failures.push(why);
  }
}
