import { createHash } from "node:crypto";
import { Hono } from "hono";
import type { AppEnv } from "../interfaces/app-env.ts";
import { requireTokenUnless } from "../middlewares/auth.ts";
import { jsonOrTextBody, limitBody, parseJsonBody } from "../middlewares/json-body.ts";
import { validate } from "../middlewares/validate.ts";
import {
  customerVisitQuerySchema,
  overallVisitQuerySchema,
  visitInputSchema,
} from "../schemas/compat.ts";
import { validationError } from "../schemas/errors.ts";
import type { Services } from "../services/container.ts";

/**
 * The hit-counter seed's API. A visit is an ordinary pageview on the bus: the customer is its
 * `user_id`, the website its `site`, the device its `metadata.device_id`.
 */
export function hitCounterRoutes(services: Services) {
  const readAuth = requireTokenUnless(services.config.compatPublicReads);
  return new Hono<AppEnv>()
    .post("/visit", jsonOrTextBody, limitBody(services.config.limits.maxEventBytes), async (c) => {
      const { value } = await parseJsonBody(c);
      const parsed = visitInputSchema.safeParse(value);
      if (!parsed.success)
        throw validationError(parsed.error.issues, "Invalid visit", "Invalid visit data");
      const { customerId, deviceId } = parsed.data;
      const site = (parsed.data.websiteId ?? parsed.data.website) as string;
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
    })
    .get("/customer-visit-count", readAuth, validate("query", customerVisitQuerySchema), (c) => {
      const { customerId, websiteId } = c.req.valid("query");
      return c.json(c.var.services.compat.customerVisits(websiteId, customerId));
    })
    .get("/overall-visit-count", readAuth, validate("query", overallVisitQuerySchema), (c) => {
      const { websiteId } = c.req.valid("query");
      return c.json(c.var.services.compat.siteVisits(websiteId));
    });
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
