import type { Alert, SessionEndReason, SessionView } from "../../interfaces/analytics.ts";
import type { CommittedEvent } from "./event-log.ts";

/** A session a projection ended, and when (a timed-out one ended when its timeout ran out). */
export interface EndedSession {
  session: SessionView;
  reason: SessionEndReason;
  endedAt: number;
}

/**
 * What one committed event, or one tick of the clock, did: projections fill `ended` and
 * `alerts` as they apply it, and reactions read all of it once every projection has.
 */
export interface Step {
  readonly now: number;
  /** Absent on a tick. */
  readonly committed?: CommittedEvent;
  readonly ended: EndedSession[];
  readonly alerts: Alert[];
}

export type EventStep = Step & { readonly committed: CommittedEvent };

/** A pure state update applied in log order, the same way live and on replay. */
export interface Projection {
  /** The key of its state in a snapshot. */
  readonly name: string;
  apply(step: EventStep): void;
  /** The clock moved on: sessions time out, windows slide, alerts re-check. */
  tick?(step: Step): void;
  exportState?(): unknown;
  /**
   * As `exportState`, its long lists as iterators over the live state, read later, a slice a turn:
   * only while the pipeline is held (a snapshot written in turns reads it).
   */
  exportLazily?(): unknown;
  /** `undefined` when the snapshot has no state for it. */
  importState?(state: unknown): void;
  /** Ticks change its state: a snapshot is due even when no event came. */
  readonly changesOnTicks?: boolean;
}

/** Talks to the outside about a step; one failing never affects another. */
export interface Reaction {
  readonly name: string;
  react(step: Step): void;
}
