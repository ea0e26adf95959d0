import {
  type DashboardMessage,
  dashboardMessageSchema,
  flattenDashboardFrame,
} from "../schemas/websocket-message.ts";

/** The data of an `error` frame: the connection stays open. */
export interface DashboardError {
  code: "invalid_json" | "unknown_message" | "validation_error" | "rate_limited";
  message: string;
  details?: { path: string; message: string }[];
}

/** A dashboard's frame as one of the protocol's messages, or the error to answer it with. */
export function parseDashboardFrame(
  raw: string | Buffer,
): { message: DashboardMessage } | { error: DashboardError } {
  let frame: unknown;
  try {
    frame = JSON.parse(typeof raw === "string" ? raw : raw.toString("utf8"));
  } catch {
    return { error: { code: "invalid_json", message: "Each frame must be one JSON object" } };
  }
  const parsed = dashboardMessageSchema.safeParse(flattenDashboardFrame(frame));
  if (parsed.success) return { message: parsed.data };
  const type = (frame as { type?: unknown } | null)?.type;
  const known = dashboardMessageSchema.options.some((option) => option.shape.type.value === type);
  if (!known) {
    return {
      error: {
        code: "unknown_message",
        message: `Unknown message type: ${JSON.stringify(type ?? null)}`,
      },
    };
  }
  return {
    error: {
      code: "validation_error",
      message: `Invalid ${String(type)} message`,
      details: parsed.error.issues.map((issue) => ({
        path: issue.path.join("."),
        message: issue.message,
      })),
    },
  };
}

export function rateLimited(perMinute: number, what: string): DashboardError {
  return { code: "rate_limited", message: `At most ${perMinute} ${what} a minute` };
}
