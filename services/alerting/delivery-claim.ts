/**
 * Who delivers an alert when several instances raise it (cluster mode: every instance applies
 * every event, so every one computes the same alert with the same id). The one that claims the
 * key delivers; the others leave it. Keys are `<alert id>|<destination id>`.
 */
export interface DeliveryClaim {
  /** True for exactly one caller per key (within `ttlMs`). */
  claim(key: string, ttlMs: number): Promise<boolean>;
}

/** One process: it always delivers (its own log already keeps an alert once per destination). */
export const singleProcessClaim: DeliveryClaim = {
  claim: async () => true,
};
