import { createRoute, z } from "@hono/zod-openapi";
import {
  deliveriesQuerySchema,
  deliverySchema,
  destinationInputSchema,
  destinationSchema,
  idParamSchema,
} from "../schemas/alerting.ts";
import { ApiError } from "../schemas/errors.ts";
import type { AlertingService } from "../services/alerting/alerting-service.ts";
import { publicView } from "../services/alerting/destination-store.ts";
import { UnsafeWebhookError } from "../services/alerting/ssrf-guard.ts";
import { errorResponses, jsonResponse, newRouter, tokenAuth } from "./route-contract.ts";

const tags = ["Alerts"];

const listRoute = createRoute({
  method: "get",
  path: "/",
  summary: "The alert destinations, each with its last delivery",
  tags,
  ...tokenAuth(),
  responses: {
    200: jsonResponse(
      z.object({ success: z.literal(true), destinations: z.array(destinationSchema) }),
      "Destinations (secrets as a prefix, URLs without their path)",
    ),
    ...errorResponses("unauthorized"),
  },
});

const createDestinationRoute = createRoute({
  method: "post",
  path: "/",
  summary: "Adds a destination: a signed webhook, or a Slack or Discord incoming webhook",
  description:
    "The URL must be http or https and, unless ALLOW_PRIVATE_WEBHOOKS=true, must not be or resolve to a loopback, link-local or private address. The answer carries the signing secret: the only time it is shown whole.",
  tags,
  ...tokenAuth(),
  request: {
    body: { content: { "application/json": { schema: destinationInputSchema } }, required: true },
  },
  responses: {
    201: jsonResponse(
      z.object({
        success: z.literal(true),
        destination: destinationSchema,
        secret: z.string().meta({
          description: "HMAC-SHA256 key of X-Footfall-Signature; shown this once",
          example: "whsec_3f9a…",
        }),
      }),
      "The destination and its secret",
    ),
    ...errorResponses("validation_error", "unauthorized"),
  },
});

const deleteRoute = createRoute({
  method: "delete",
  path: "/{id}",
  summary: "Removes a destination and its delivery log",
  tags,
  ...tokenAuth(),
  request: { params: idParamSchema },
  responses: {
    200: jsonResponse(z.object({ success: z.literal(true), deleted: z.number().int() }), "Removed"),
    ...errorResponses("validation_error", "unauthorized", "not_found"),
  },
});

const testRoute = createRoute({
  method: "post",
  path: "/{id}/test",
  summary: "Sends a sample alert to the destination now (one attempt, logged)",
  tags,
  ...tokenAuth(),
  request: { params: idParamSchema },
  responses: {
    200: jsonResponse(
      z.object({
        success: z.literal(true),
        delivered: z.boolean().meta({ description: "whether the receiver answered 2xx" }),
        delivery: deliverySchema.optional(),
      }),
      "What the receiver answered",
    ),
    ...errorResponses("validation_error", "unauthorized", "not_found"),
  },
});

const deliveriesRoute = createRoute({
  method: "get",
  path: "/{id}/deliveries",
  summary: "The destination's delivery log, newest first: status, attempts, last error",
  tags,
  ...tokenAuth(),
  request: { params: idParamSchema, query: deliveriesQuerySchema },
  responses: {
    200: jsonResponse(
      z.object({
        success: z.literal(true),
        deliveries: z.array(deliverySchema),
        total: z.number().int(),
        limit: z.number().int(),
        offset: z.number().int(),
      }),
      "Deliveries",
    ),
    ...errorResponses("validation_error", "unauthorized", "not_found"),
  },
});

/** Destinations, their tests and their delivery logs (under /api/alerts/destinations). */
export function destinationRoutes(alerting: AlertingService) {
  const { destinations, deliveries } = alerting;
  const found = async (id: number) => {
    const destination = await destinations.get(id);
    if (!destination) throw new ApiError(404, "not_found", `No alert destination ${id}`);
    return destination;
  };
  return newRouter()
    .openapi(listRoute, async (c) => {
      const listed = await Promise.all(
        (await destinations.list()).map(async (destination) =>
          publicView(destination, await deliveries.last(destination.id)),
        ),
      );
      return c.json({ success: true as const, destinations: listed }, 200);
    })
    .openapi(createDestinationRoute, async (c) => {
      try {
        const { destination, secret } = await alerting.addDestination(c.req.valid("json"));
        return c.json(
          { success: true as const, destination: publicView(destination, null), secret },
          201,
        );
      } catch (error) {
        if (error instanceof UnsafeWebhookError) {
          throw new ApiError(400, "validation_error", error.message, {
            details: [{ path: "url", message: error.message }],
          });
        }
        throw error;
      }
    })
    .openapi(deleteRoute, async (c) => {
      const { id } = c.req.valid("param");
      if (!(await destinations.remove(id)))
        throw new ApiError(404, "not_found", `No alert destination ${id}`);
      return c.json({ success: true as const, deleted: id }, 200);
    })
    .openapi(testRoute, async (c) => {
      const { delivered, delivery } = await alerting.test(await found(c.req.valid("param").id));
      return c.json({ success: true as const, delivered, delivery }, 200);
    })
    .openapi(deliveriesRoute, async (c) => {
      const { id } = c.req.valid("param");
      await found(id);
      const { limit, offset } = c.req.valid("query");
      const page = await deliveries.ofDestination(id, limit, offset);
      return c.json({ success: true as const, ...page, limit, offset }, 200);
    });
}
