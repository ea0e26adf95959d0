import { createRoute } from "@hono/zod-openapi";
import { ApiError } from "../schemas/errors.ts";
import {
  exportQuerySchema,
  MAX_TIMESERIES_POINTS,
  MAX_TOP_DAYS,
  timeseriesQuerySchema,
  topQuerySchema,
} from "../schemas/history-query.ts";
import { timeseriesResponseSchema, topResponseSchema } from "../schemas/responses.ts";
import { utcDay } from "../services/clock.ts";
import { DAY_MS, INTERVAL_MS } from "../services/storage/history.ts";
import { errorResponses, jsonResponse, newRouter, tokenAuth } from "./route-contract.ts";

const DEFAULT_SPAN = { minute: 3_600_000, hour: DAY_MS, day: 30 * DAY_MS } as const;
const tags = ["History"];

const timeseriesRoute = createRoute({
  method: "get",
  path: "/timeseries",
  summary: "Pageviews and visitors per minute, hour or day, gaps filled with zeros",
  tags,
  ...tokenAuth(),
  request: { query: timeseriesQuerySchema },
  responses: {
    200: jsonResponse(timeseriesResponseSchema, "Points"),
    ...errorResponses("validation_error", "unauthorized"),
  },
});

const topRoute = createRoute({
  method: "get",
  path: "/top",
  summary: "Ranked pages, countries, devices or referrers over whole days",
  tags,
  ...tokenAuth(),
  request: { query: topQuerySchema },
  responses: {
    200: jsonResponse(topResponseSchema, "Ranking"),
    ...errorResponses("validation_error", "unauthorized"),
  },
});

const exportRoute = createRoute({
  method: "get",
  path: "/export",
  summary: "Raw events as NDJSON, streamed",
  tags,
  ...tokenAuth(),
  request: { query: exportQuerySchema },
  responses: {
    // No content schema: a stream is no JSON value to type-check (the media type is said here).
    200: { description: "One event per line (`application/x-ndjson`)" },
    ...errorResponses("validation_error", "unauthorized"),
  },
});

/** History over the durable store (mounted under /api/analytics, behind the token). */
export function historyRoutes() {
  return newRouter()
    .openapi(timeseriesRoute, async (c) => {
      const { from, to, interval, ...filter } = c.req.valid("query");
      const { database, clock } = c.var.services;
      const now = clock.now();
      const bucket = INTERVAL_MS[interval];
      const end = to ?? now;
      // Points start on whole minutes, hours or UTC days.
      const start = Math.floor((from ?? end - DEFAULT_SPAN[interval]) / bucket) * bucket;
      if (start >= end) throw invalidRange("`from` must be before `to`");
      const points = Math.ceil((end - start) / bucket);
      if (points > MAX_TIMESERIES_POINTS) {
        throw invalidRange(
          `That range holds ${points} points of one ${interval}; at most ${MAX_TIMESERIES_POINTS}`,
        );
      }
      const series = await database.history.timeseries(start, end, interval, filter, now);
      return c.json(
        {
          success: true as const,
          data: {
            interval,
            from: new Date(start).toISOString(),
            to: new Date(end).toISOString(),
            filters_applied: filter,
            points: series,
          },
        },
        200,
      );
    })
    .openapi(topRoute, async (c) => {
      const { from, to, dimension, limit, site } = c.req.valid("query");
      const { database, clock } = c.var.services;
      const toDay = to ?? utcDay(clock.now());
      const fromDay = from ?? utcDay(Date.parse(`${toDay}T00:00:00Z`) - 6 * DAY_MS);
      const days = (Date.parse(toDay) - Date.parse(fromDay)) / DAY_MS + 1;
      if (days < 1) throw invalidRange("`from` must not be after `to`");
      if (days > MAX_TOP_DAYS) throw invalidRange(`At most ${MAX_TOP_DAYS} days`);
      const items = await database.history.top(fromDay, toDay, dimension, limit, site);
      return c.json(
        {
          success: true as const,
          data: {
            dimension,
            from: fromDay,
            to: toDay,
            items,
          },
        },
        200,
      );
    });
}

/** GET /api/events/export: raw events as NDJSON, streamed page by page so memory stays flat. */
export function exportRoutes() {
  return newRouter().openapi(exportRoute, async (c) => {
    const { from, to, site } = c.req.valid("query");
    const { database, clock } = c.var.services;
    const rows = database.history.reads.events(from ?? 0, to ?? clock.now() + 1, site);
    // The first row is read before answering: a history that cannot be read (Postgres down)
    // answers with an error, not a 200 cut short.
    let first: Awaited<ReturnType<typeof rows.next>> | undefined = await rows.next();
    const encoder = new TextEncoder();
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        let chunk = "";
        for (let count = 0; count < 500; count++) {
          const next = first ?? (await rows.next());
          first = undefined;
          if (next.done) {
            if (chunk) controller.enqueue(encoder.encode(chunk));
            controller.close();
            return;
          }
          chunk += `${JSON.stringify({ id: next.value.id, ...next.value.event })}\n`;
        }
        controller.enqueue(encoder.encode(chunk));
      },
      async cancel() {
        await rows.return(undefined);
      },
    });
    return c.body(stream, 200, {
      "Content-Type": "application/x-ndjson; charset=utf-8",
      "Content-Disposition": 'attachment; filename="footfall-events.ndjson"',
    });
  });
}

function invalidRange(message: string) {
  return new ApiError(400, "validation_error", message);
}
