import { type Context, Hono } from "hono";
import type { AppEnv } from "../interfaces/app-env.ts";
import { ApiError, validationError } from "../middlewares/api-error.ts";
import { jsonOrTextBody, limitBody, parseJsonBody } from "../middlewares/json-body.ts";
import { type EventInput, eventInputSchema } from "../schemas/event.ts";
import type { Services } from "../services/container.ts";
import { deferredBody } from "./deferred-body.ts";

/** POST /api/events: one event, or a batch (an array) accepted or refused whole. */
export function eventRoutes(services: Services) {
  const { limits } = services.config;
  return new Hono<AppEnv>().post(
    "/",
    jsonOrTextBody,
    limitBody(limits.maxBatchBytes),
    async (c) => {
      const { value, bytes } = await parseJsonBody(c);
      const { ingestion } = c.var.services;

      if (!Array.isArray(value)) {
        if (bytes > limits.maxEventBytes) {
          throw new ApiError(
            413,
            "payload_too_large",
            `One event may be at most ${limits.maxEventBytes} bytes`,
            {
              max_bytes: limits.maxEventBytes,
            },
          );
        }
        const parsed = eventInputSchema.safeParse(value);
        if (!parsed.success) throw validationError(parsed.error.issues, "Invalid event");
        const { events, statsJson } = await ingestion.accept([parsed.data]);
        return acceptedResponse(
          c,
          `"session_id":${JSON.stringify(events[0]?.session_id)}`,
          statsJson,
        );
      }

      if (value.length === 0) throw new ApiError(400, "validation_error", "The batch is empty");
      if (value.length > limits.maxBatchEvents) {
        throw new ApiError(
          413,
          "payload_too_large",
          `A batch may hold at most ${limits.maxBatchEvents} events; this one has ${value.length}`,
          { max_events: limits.maxBatchEvents, received: value.length },
        );
      }
      const inputs: EventInput[] = [];
      const problems: { index: number; path: string; message: string }[] = [];
      value.forEach((item, index) => {
        const parsed = eventInputSchema.safeParse(item);
        if (parsed.success) inputs.push(parsed.data);
        else
          for (const issue of parsed.error.issues) {
            problems.push({
              index,
              path: [index, ...issue.path].map(String).join("."),
              message: issue.message,
            });
          }
      });
      if (problems.length > 0) {
        const indexes = [...new Set(problems.map((problem) => problem.index))];
        throw new ApiError(
          400,
          "validation_error",
          `The batch was refused whole: invalid events at ${indexes.length === 1 ? "index" : "indexes"} ${indexes.join(", ")}`,
          problems,
        );
      }
      const { events, statsJson } = await ingestion.accept(inputs);
      return acceptedResponse(
        c,
        `"accepted":${events.length}`,
        statsJson,
        "Events processed successfully",
      );
    },
  );
}

/**
 * The seed's 201 body, assembled around the stats JSON that every answer after one group commit
 * shares (stringifying `pages_visited` per request was the hot path's largest cost).
 */
function acceptedResponse(
  c: Context<AppEnv>,
  firstField: string,
  statsJson: string,
  message = "Event processed successfully",
) {
  const body = deferredBody(
    `{"success":true,"message":${JSON.stringify(message)},"data":{${firstField},"current_stats":`,
    statsJson,
    "}}",
  );
  return c.body(body, 201, { "Content-Type": "application/json" });
}
