import { createRoute, z } from "@hono/zod-openapi";
import type { Config } from "../config/index.ts";
import { ApiError, type IssueLike, MAX_LISTED_ISSUES, validationError } from "../schemas/errors.ts";
import { type EventInput, eventBatchSchema, eventInputSchema } from "../schemas/event.ts";
import { parseEventInput } from "../schemas/event-batch-validator.ts";
import {
  eventAcceptedSchema,
  collectAcceptedSchema as minimalAcceptedSchema,
} from "../schemas/responses.ts";
import { corkedBody } from "./corked-body.ts";
import { ingestionErrors, publicIngestion } from "./public-ingestion.ts";
import { jsonResponse, newRouter, serialisedJson } from "./route-contract.ts";

/** The events of a body: one event, or a batch (an array) accepted or refused whole. */
interface EventBody {
  inputs: EventInput[];
  batch: boolean;
}

// The body is validated by readEvents (indexed paths in a batch), not by the router.
const eventBodyReference = {
  anyOf: [{ $ref: "#/components/schemas/EventInput" }, { $ref: "#/components/schemas/EventBatch" }],
};
const eventBodySchema = z.union([eventInputSchema, eventBatchSchema]);

/** The public JSON-or-text body of events (one or a batch), as /api/events and /api/collect take it. */
export function eventIngestion(limits: Config["limits"]) {
  return publicIngestion({
    maxBytes: limits.maxBatchBytes,
    validate: readEvents(limits),
    jsonSchema: eventBodyReference,
    textSchema: eventBodySchema,
  });
}

function eventRoute(limits: Config["limits"]) {
  return createRoute({
    method: "post",
    path: "/",
    summary: "Send one event, or a batch (an array) accepted or refused whole",
    description:
      "Public. `text/plain` is what `navigator.sendBeacon` sends. The 201 is sent once the events are durable. A client that never reads the stats sends `Prefer: return=minimal` (RFC 7240) for a tiny answer.",
    tags: ["Ingestion"],
    ...eventIngestion(limits),
    responses: {
      201: jsonResponse(
        z.union([eventAcceptedSchema, minimalAcceptedSchema]),
        'Accepted, with the current stats of the event\'s site; with `Prefer: return=minimal`, `{"success":true}` alone and `Preference-Applied: return=minimal`',
      ),
      ...ingestionErrors(),
    },
  });
}

/** POST /api/events. */
export function eventRoutes(limits: Config["limits"]) {
  return newRouter().openapi(eventRoute(limits), async (c) => {
    const { inputs, batch } = c.get("body");
    const { ingestion } = c.get("services");
    if (prefersMinimalReturn(c.req.header("prefer"))) {
      await ingestion.accept(inputs);
      return serialisedJson(c, minimalAcceptedSchema, MINIMAL_ANSWER, 201, MINIMAL_APPLIED);
    }
    const { events, statsJson } = await ingestion.acceptWithStats(inputs);
    if (!batch) {
      return acceptedResponse(
        c,
        `${ONE_ACCEPTED}"session_id":${JSON.stringify(events[0]?.session_id)}`,
        statsJson,
      );
    }
    return acceptedResponse(c, `${BATCH_ACCEPTED}"accepted":${events.length}`, statsJson);
  });
}

const MINIMAL_ANSWER = '{"success":true}';
const MINIMAL_APPLIED = { "Preference-Applied": "return=minimal" } as const;

/**
 * RFC 7240's `Prefer: return=minimal`, among any other preferences (comma-separated, each with
 * optional `;` parameters; names and this value compared without case).
 */
export function prefersMinimalReturn(prefer: string | undefined): boolean {
  if (prefer === undefined) return false;
  for (const preference of prefer.split(",")) {
    const [token = ""] = preference.split(";");
    const [name = "", value = ""] = token.split("=");
    if (name.trim().toLowerCase() !== "return") continue;
    return (
      value
        .trim()
        .replace(/^"(.*)"$/, "$1")
        .toLowerCase() === "minimal"
    );
  }
  return false;
}

/** Validates a parsed body as one event or a batch, within the event and batch limits. */
export function readEvents(limits: Config["limits"]) {
  return (value: unknown, bytes: number): EventBody => {
    if (!Array.isArray(value)) {
      if (bytes > limits.maxEventBytes) {
        throw new ApiError(
          413,
          "payload_too_large",
          `One event may be at most ${limits.maxEventBytes} bytes`,
          { details: { max_bytes: limits.maxEventBytes } },
        );
      }
      const parsed = parseEventInput(value);
      if (!parsed.success) {
        throw validationError(parsed.error.issues, "Invalid event", "Invalid event data");
      }
      return { inputs: [parsed.data], batch: false };
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
      const parsed = parseEventInput(item);
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
    return { inputs, batch: true };
  };
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

/** The 201 body's start, up to its data's first field, for one event and for a batch. */
const ONE_ACCEPTED = '{"success":true,"message":"Event processed successfully","data":{';
const BATCH_ACCEPTED = '{"success":true,"message":"Events processed successfully","data":{';

/**
 * The 201 body, assembled around the stats JSON that every answer after one group commit shares
 * (stringifying `pages_visited` per request was the hot path's largest cost).
 */
function acceptedResponse(
  c: Parameters<typeof serialisedJson>[0],
  head: string,
  statsJson: string,
) {
  const body = corkedBody(`${head},"current_stats":`, statsJson, "}}");
  return serialisedJson(c, eventAcceptedSchema, body, 201);
}
