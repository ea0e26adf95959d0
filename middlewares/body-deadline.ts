/**
 * Request bodies read within a time limit, with one timer for every read in flight rather than a
 * timer per request (a `setTimeout`, its `clearTimeout` and a `Promise.race` on each request were
 * ~3% of the HTTP stack's samples). Reads share one timeout, so they expire in the order they
 * started: the timer is armed for the oldest read's deadline and re-armed for the next one.
 */
export class BodyDeadlines {
  /** Reads in flight, oldest first (a Set keeps insertion order). */
  private readonly reads = new Set<PendingRead>();
  private timer: Timer | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly now: () => number = performance.now.bind(performance),
  ) {}

  /** `read`'s outcome, or `expired()`'s error once `timeoutMs` passed without one. */
  within<T>(read: Promise<T>, expired: () => Error): Promise<T> {
    const { promise, resolve, reject } = Promise.withResolvers<T>();
    const entry: PendingRead = { deadline: this.now() + this.timeoutMs, reject, expired };
    this.reads.add(entry);
    this.timer ??= this.arm(this.timeoutMs);
    read.then(
      (value) => {
        this.reads.delete(entry);
        resolve(value);
      },
      (error: unknown) => {
        this.reads.delete(entry);
        reject(error);
      },
    );
    return promise;
  }

  /** Reads still waiting for their body (tests). */
  get pending(): number {
    return this.reads.size;
  }

  private arm(delayMs: number): Timer {
    const timer = setTimeout(this.expire, Math.max(1, delayMs));
    // A read in flight is a request the server itself keeps the process alive for.
    timer.unref();
    return timer;
  }

  private readonly expire = (): void => {
    this.timer = undefined;
    const now = this.now();
    for (const entry of this.reads) {
      if (entry.deadline > now) {
        this.timer = this.arm(entry.deadline - now);
        return;
      }
      this.reads.delete(entry);
      entry.reject(entry.expired());
    }
  };
}

interface PendingRead {
  readonly deadline: number;
  readonly reject: (error: Error) => void;
  readonly expired: () => Error;
}
