import { createRoute } from "@hono/zod-openapi";
import type { Config } from "../config/index.ts";
import { clientIpOf } from "../middlewares/client-ip.ts";
import { collectAcceptedSchema } from "../schemas/responses.ts";
import type { VisitorEnricher } from "../services/enrich/visitor-enricher.ts";
import { eventIngestion } from "./events.ts";
import { ingestionErrors } from "./public-ingestion.ts";
import { jsonResponse, newRouter, serialisedJson } from "./route-contract.ts";

const ACCEPTED = '{"success":true}';

function collectRoute(limits: Config["limits"]) {
  return createRoute({
    method: "post",
    path: "/",
    summary: "The tracker's endpoint: events enriched from the request itself",
    description:
      "Public; what tracker.js sends to. The same event fields and batch rules as `POST /api/events`, `text/plain` or JSON. The event gains the country from the client IP when it carries none (a trusted proxy's COUNTRY_HEADER first), browser, OS and their major versions, the device class when it carries none, a cookieless `visitor_id` and its `source`. The IP is used for these lookups only: never stored, logged or sent to a dashboard. A bot's (or an empty) User-Agent is answered alike but nothing is counted (`bots_filtered` in /api/status).",
    tags: ["Ingestion"],
    ...eventIngestion(limits),
    responses: {
      202: jsonResponse(collectAcceptedSchema, "Accepted, once durable (or dropped as a bot's)"),
      ...ingestionErrors(),
    },
  });
}

/** POST /api/collect. */
export function collectRoutes(config: Config, enricher: VisitorEnricher) {
  // A proxy's country header is believed only behind a proxy we trust.
  const trusted = config.trustProxy.hops > 0 || config.trustProxy.addresses.length > 0;
  const countryHeader = trusted ? config.countryHeader : undefined;
  return newRouter().openapi(collectRoute(config.limits), async (c) => {
    const { inputs } = c.get("body");
    const userAgent = c.req.header("user-agent") ?? "";
    if (!enricher.refuseBot(userAgent, inputs.length)) {
      const request = {
        ip: clientIpOf(c),
        userAgent,
        proxyCountry: countryHeader ? c.req.header(countryHeader) : undefined,
      };
      await c.get("services").ingestion.accept(inputs, enricher.forRequest(request));
    } else {
      c.set("droppedAsBot", true);
    }
    return serialisedJson(c, collectAcceptedSchema, ACCEPTED, 202);
  });
}
