import pino from "pino";

export type Logger = pino.Logger;

/**
 * Structured JSON logs. Callers never pass tokens or raw IPs; the redaction below is a second
 * line of defence should a header object ever be logged whole.
 */
export function createLogger(level: "debug" | "info" | "warn" | "error" | "silent"): Logger {
  return pino({
    level,
    base: { service: "footfall" },
    redact: {
      paths: ["authorization", "*.authorization", "token", "*.token", "ip", "*.ip"],
      censor: "[redacted]",
    },
  });
}
