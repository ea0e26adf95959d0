import { createHash } from "node:crypto";
import { createRoute } from "@hono/zod-openapi";
import { bySchema } from "../middlewares/json-body.ts";
import {
  customerVisitCountSchema,
  customerVisitQuerySchema,
  messageSchema,
  overallVisitCountSchema,
  overallVisitQuerySchema,
  visitInputSchema,
} from "../schemas/compat.ts";
import type { Services } from "../services/container.ts";
import { ingestionErrors, publicIngestion } from "./public-ingestion.ts";
import { errorResponses, jsonResponse, newRouter, tokenAuth } from "./route-contract.ts";

const tags = ["Compatibility"];
const visitBodyReference = { $ref: "#/components/schemas/VisitInput" };

/**
 * The hit counter's API, as its earlier clients call it. A visit is an ordinary pageview on the
 * bus: the customer is its `user_id`, the website its `site`, the device its
 * `metadata.device_id`. The reads need the token unless COMPAT_PUBLIC_READS.
 */
export function hitCounterRoutes(config: Services["config"]) {
  const readAuth = tokenAuth(!config.compatPublicReads);
  return newRouter()
    .openapi(
      createRoute({
        method: "post",
        path: "/visit",
        summary: "Hit counter (compatibility): track a customer's visit from a device",
        tags,
        ...publicIngestion({
          maxBytes: config.limits.maxEventBytes,
          validate: bySchema(visitInputSchema, "Invalid visit", "Invalid visit data"),
          jsonSchema: visitBodyReference,
          textSchema: visitInputSchema,
        }),
        responses: {
          201: jsonResponse(messageSchema, "Tracked"),
          ...ingestionErrors(),
        },
      }),
      async (c) => {
        const { customerId, deviceId, websiteId, website } = c.var.body;
        const site = (websiteId ?? website) as string;
        await c.var.services.ingestion.accept([
          {
            type: "pageview",
            page: "/",
            site,
            user_id: customerId,
            session_id: visitSessionId(site, customerId, deviceId),
            metadata: { device_id: deviceId },
          },
        ]);
        return c.json({ message: "Visit tracked successfully" }, 201);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/customer-visit-count",
        summary: "Hit counter (compatibility): a customer's visits to a site across devices",
        tags,
        ...readAuth,
        request: { query: customerVisitQuerySchema },
        responses: {
          200: jsonResponse(customerVisitCountSchema, "Counts"),
          ...errorResponses("validation_error", "unauthorized"),
        },
      }),
      (c) => {
        const { customerId, websiteId } = c.req.valid("query");
        return c.json(c.var.services.compat.customerVisits(websiteId, customerId), 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/overall-visit-count",
        summary: "Hit counter (compatibility): all visits to a site",
        tags,
        ...readAuth,
        request: { query: overallVisitQuerySchema },
        responses: {
          200: jsonResponse(overallVisitCountSchema, "Counts"),
          ...errorResponses("validation_error", "unauthorized"),
        },
      }),
      (c) => {
        const { websiteId } = c.req.valid("query");
        return c.json(c.var.services.compat.siteVisits(websiteId), 200);
      },
    );
}

/**
 * One session per site, customer and device. The tuple is JSON-encoded, so ids containing any
 * separator cannot collide (`a:b`+`c` and `a`+`b:c` differ); hashed when that would exceed the
 * 128-character session_id limit.
 */
export function visitSessionId(site: string, customerId: string, deviceId: string): string {
  const readable = `visit:${JSON.stringify([site, customerId, deviceId])}`;
  if (readable.length <= 128) return readable;
  return `visit:${createHash("sha256").update(readable).digest("hex").slice(0, 40)}`;
}
