import { createRoute, z } from "@hono/zod-openapi";
import {
  alertsPageSchema,
  alertsQuerySchema,
  idParamSchema,
  ruleInputSchema,
  rulePatchSchema,
  ruleSchema,
} from "../schemas/alerting.ts";
import { ApiError } from "../schemas/errors.ts";
import type { AlertingService } from "../services/alerting/alerting-service.ts";
import { RuleSettingsError } from "../services/alerting/rule-store.ts";
import { destinationRoutes } from "./alert-destinations.ts";
import { errorResponses, jsonResponse, newRouter, tokenAuth } from "./route-contract.ts";

const tags = ["Alerts"];

const listAlertsRoute = createRoute({
  method: "get",
  path: "/",
  summary: "The alert history: every alert raised, newest first, filtered and paged",
  description:
    "Rules' alerts and the server-wide detector's (`rule_id` null). `from`/`to` are ISO times (`to` excluded). See docs/alerts.md.",
  tags,
  ...tokenAuth(),
  request: { query: alertsQuerySchema },
  responses: {
    200: jsonResponse(alertsPageSchema, "A page of alerts"),
    ...errorResponses("validation_error", "unauthorized"),
  },
});

const ruleBody = z.object({ success: z.literal(true), rule: ruleSchema });
const rulesQuery = z.object({ site: z.string().max(253).optional() });

const listRulesRoute = createRoute({
  method: "get",
  path: "/rules",
  summary: "The alert rules (of one site with `?site=`)",
  tags,
  ...tokenAuth(),
  request: { query: rulesQuery },
  responses: {
    200: jsonResponse(z.object({ success: z.literal(true), rules: z.array(ruleSchema) }), "Rules"),
    ...errorResponses("validation_error", "unauthorized"),
  },
});

const createRuleRoute = createRoute({
  method: "post",
  path: "/rules",
  summary: "Adds a rule: a spike, a drop (with its window and UTC hours) or milestones, for a site",
  description:
    "Left out: `threshold` is ALERT_THRESHOLD, `cooldown_seconds` ALERT_COOLDOWN_SECONDS, `window_minutes` 30, `milestones` 100, 1,000, 10,000, ...",
  tags,
  ...tokenAuth(),
  request: {
    body: { content: { "application/json": { schema: ruleInputSchema } }, required: true },
  },
  responses: {
    201: jsonResponse(ruleBody, "The rule"),
    ...errorResponses("validation_error", "unauthorized"),
  },
});

const updateRuleRoute = createRoute({
  method: "patch",
  path: "/rules/{id}",
  summary: "Changes a rule's settings (of its own kind) or turns it on or off",
  tags,
  ...tokenAuth(),
  request: {
    params: idParamSchema,
    body: { content: { "application/json": { schema: rulePatchSchema } }, required: true },
  },
  responses: {
    200: jsonResponse(ruleBody, "The rule as it now is"),
    ...errorResponses("validation_error", "unauthorized", "not_found"),
  },
});

const deleteRuleRoute = createRoute({
  method: "delete",
  path: "/rules/{id}",
  summary: "Removes a rule (its alerts stay in the history)",
  tags,
  ...tokenAuth(),
  request: { params: idParamSchema },
  responses: {
    200: jsonResponse(z.object({ success: z.literal(true), deleted: z.number().int() }), "Removed"),
    ...errorResponses("validation_error", "unauthorized", "not_found"),
  },
});

/** The alert history, the rules and the destinations (mounted under /api/alerts, token). */
export function alertRoutes(alerting: AlertingService) {
  const router = newRouter()
    .openapi(listAlertsRoute, async (c) => {
      const query = c.req.valid("query");
      const { alerts, total } = await alerting.history.query(query);
      return c.json(
        { success: true as const, alerts, total, limit: query.limit, offset: query.offset },
        200,
      );
    })
    .openapi(listRulesRoute, async (c) => {
      const { site } = c.req.valid("query");
      return c.json({ success: true as const, rules: await alerting.rules.list(site) }, 200);
    })
    .openapi(createRuleRoute, async (c) => {
      const rule = await alerting.rules.create(c.req.valid("json"), c.var.services.clock.now());
      return c.json({ success: true as const, rule }, 201);
    })
    .openapi(updateRuleRoute, async (c) => {
      const { id } = c.req.valid("param");
      let rule: Awaited<ReturnType<typeof alerting.rules.update>>;
      try {
        rule = await alerting.rules.update(id, c.req.valid("json"), c.var.services.clock.now());
      } catch (error) {
        if (error instanceof RuleSettingsError) {
          throw new ApiError(400, "validation_error", error.message);
        }
        throw error;
      }
      if (!rule) throw new ApiError(404, "not_found", `No alert rule ${id}`);
      return c.json({ success: true as const, rule }, 200);
    })
    .openapi(deleteRuleRoute, async (c) => {
      const { id } = c.req.valid("param");
      if (!(await alerting.rules.remove(id)))
        throw new ApiError(404, "not_found", `No alert rule ${id}`);
      return c.json({ success: true as const, deleted: id }, 200);
    });
  router.route("/destinations", destinationRoutes(alerting));
  return router;
}
