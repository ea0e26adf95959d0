import { type Context, Hono } from "hono";
import type { AppEnv } from "../interfaces/app-env.ts";
import { jsonOrTextBody, limitBody, parseJsonBody } from "../middlewares/json-body.ts";
import { ApiError, type IssueLike, MAX_LISTED_ISSUES, validationError } from "../schemas/errors.ts";
import { type EventInput, eventInputSchema } from "../schemas/event.ts";
import type { Services } from "../services/container.ts";
import { corkedBody } from "./corked-body.ts";

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
            { details: { max_bytes: limits.maxEventBytes } },
          );
        }
        const parsed = eventInputSchema.safeParse(value);
        if (!parsed.success) {
          throw validationError(parsed.error.issues, "Invalid event", "Invalid event data");
        }
        const { events, statsJson } = await ingestion.accept([parsed.data]);
        return acceptedResponse(
          c,
          `"session_id":${JSON.stringify(events[0]?.session_id)}`,
          statsJson,
        );
      }

      if (value.length === 0) {
        throw new ApiError(400, "validation_error", "The batch is empty", {
          title: "Invalid event data",
        });
      }
      if (value.length > limits.maxBatchEvents) {
        throw new ApiError(
          413,
          "payload_too_large",
          `A batch may hold at most ${limits.maxBatchEvents} events; this one has ${value.length}`,
          { details: { max_events: limits.maxBatchEvents, received: value.length } },
        );
      }
      // A body no larger than one event cannot hold an event larger than one.
      if (bytes > limits.maxEventBytes) refuseOversizedEvents(value, limits.maxEventBytes);
      const inputs: EventInput[] = [];
      const issues: IssueLike[] = [];
      const badIndexes: number[] = [];
      value.forEach((item, index) => {
        const parsed = eventInputSchema.safeParse(item);
        if (parsed.success) inputs.push(parsed.data);
        else {
          badIndexes.push(index);
          for (const issue of parsed.error.issues) {
            issues.push({ index, path: [index, ...issue.path], message: issue.message });
          }
        }
      });
      if (issues.length > 0) {
        throw validationError(
          issues,
          `The batch was refused whole: invalid events at ${listIndexes(badIndexes)}`,
          "Invalid event data",
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
 * Every event of a batch is held to MAX_EVENT_BYTES, as one sent alone is (measured as its compact
 * JSON), so a batch cannot carry what a single event may not.
 */
function refuseOversizedEvents(batch: readonly unknown[], maxEventBytes: number): void {
  const oversized: number[] = [];
  batch.forEach((item, index) => {
    if (Buffer.byteLength(JSON.stringify(item) ?? "") > maxEventBytes) oversized.push(index);
  });
  if (oversized.length === 0) return;
  throw new ApiError(
    413,
    "payload_too_large",
    `One event may be at most ${maxEventBytes} bytes, in a batch too: over it at ${listIndexes(oversized)}`,
    {
      details: {
        max_bytes: maxEventBytes,
        indexes: oversized.slice(0, MAX_LISTED_ISSUES),
        total_events: oversized.length,
      },
    },
  );
}

/** "index 3", "indexes 0, 4, 7", or the first ones and how many more. */
function listIndexes(indexes: readonly number[]): string {
  const listed = indexes.slice(0, MAX_LISTED_ISSUES).join(", ");
  const more = indexes.length - MAX_LISTED_ISSUES;
  const noun = indexes.length === 1 ? "index" : "indexes";
  return more > 0 ? `${noun} ${listed} and ${more} more` : `${noun} ${listed}`;
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
  const body = corkedBody(
    `{"success":true,"message":${JSON.stringify(message)},"data":{${firstField},"current_stats":`,
    statsJson,
    "}}",
  );
  return c.body(body, 201, { "Content-Type": "application/json" });
}
