import type { SessionActivity } from "./protocol.ts";

/** `active`; `leaving`: ended by `session_end`, within the grace; `left`: ended for good. */
export type RowState = "active" | "leaving" | "left";

export interface SessionRow extends SessionActivity {
  /** Server time (ms) of its latest event; orders the list. */
  lastSeen: number;
  state: RowState;
  /** This page's clock (ms) when it began leaving or left. */
  leftAt?: number;
  /** Server time (ms) it ended: stats made before then still counted it as active. */
  endedAt?: number;
  endReason?: string;
  /** The figures received (`Figures.received`) when it began leaving: those still counted it. */
  leavingSeq?: number;
}
