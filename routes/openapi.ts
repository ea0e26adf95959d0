import { type ZodObject, type ZodType, z } from "zod";
import {
  dimensionFilterSchema,
  sessionsQuerySchema,
  summaryQuerySchema,
} from "../schemas/analytics-query.ts";
import {
  countryCodeQuerySchema,
  customerVisitQuerySchema,
  overallVisitQuerySchema,
  visitInputSchema,
} from "../schemas/compat.ts";
import { errorBodySchema } from "../schemas/errors.ts";
import { eventBatchSchema, eventInputSchema } from "../schemas/event.ts";
import {
  exportQuerySchema,
  timeseriesQuerySchema,
  topQuerySchema,
} from "../schemas/history-query.ts";
import {
  countryCountsSchema,
  customerVisitCountSchema,
  detailedResponseSchema,
  eventAcceptedSchema,
  healthSchema,
  messageSchema,
  overallVisitCountSchema,
  serviceInfoSchema,
  sessionResponseSchema,
  sessionsResponseSchema,
  statusResponseSchema,
  summaryResponseSchema,
  timeseriesResponseSchema,
  topResponseSchema,
} from "../schemas/responses.ts";

type Json = Record<string, unknown>;

interface Operation {
  method: "get" | "post";
  path: string;
  summary: string;
  tag: string;
  /** `"compat"`: the token unless COMPAT_PUBLIC_READS. */
  auth: boolean | "compat";
  description?: string;
  query?: ZodObject;
  pathParams?: string[];
  body?: ZodType;
  /** Media types the body is accepted as. */
  bodyTypes?: string[];
  success: { status: number; description: string; schema?: ZodType; contentType?: string };
  /** Another status answered with the success schema (health's 503). */
  sameBodyAs?: { status: number; description: string };
  errors: number[];
}

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: "validation_error",
  401: "unauthorized",
  403: "forbidden_origin (CORS_ORIGINS is a list and the Origin header is not on it)",
  404: "not_found",
  422: "missing_country_code",
  408: "request_timeout (the body did not arrive within REQUEST_BODY_TIMEOUT_SECONDS)",
  413: "payload_too_large",
  415: "unsupported_media_type (also any Content-Encoding but identity)",
  426: "upgrade_required",
  429: "rate_limited (with Retry-After and RateLimit-* headers)",
  503: "shutting_down, storage_unavailable or too_many_connections",
};

const eventBody = z.union([eventInputSchema, eventBatchSchema]);

/** Every route, declared once beside the zod schemas the server validates with. */
const OPERATIONS: Operation[] = [
  {
    method: "get",
    path: "/",
    summary: "Service information (JSON); the live dashboard to a browser (Accept: text/html)",
    tag: "Operations",
    auth: false,
    description:
      "Answers by `Accept` (and says so with `Vary: Accept`): a request accepting `text/html` gets the dashboard page, which is also at `/dashboard`; anything else this JSON.",
    success: { status: 200, description: "Service information", schema: serviceInfoSchema },
    errors: [],
  },
  {
    method: "post",
    path: "/api/events",
    summary: "Send one event, or a batch (an array) accepted or refused whole",
    tag: "Ingestion",
    auth: false,
    description:
      "Public. `text/plain` is what `navigator.sendBeacon` sends. The 201 is sent once the events are durable.",
    body: eventBody,
    bodyTypes: ["application/json", "text/plain"],
    success: {
      status: 201,
      description: "Accepted, with the current stats of the event's site",
      schema: eventAcceptedSchema,
    },
    errors: [400, 403, 408, 413, 415, 429, 503],
  },
  {
    method: "get",
    path: "/api/analytics/summary",
    summary: "Live summary, filtered by country, page and site",
    tag: "Live",
    auth: true,
    query: summaryQuerySchema,
    success: { status: 200, description: "Summary", schema: summaryResponseSchema },
    errors: [400, 401],
  },
  {
    method: "get",
    path: "/api/analytics/sessions",
    summary: "Active sessions, most recently active first",
    tag: "Live",
    auth: true,
    query: sessionsQuerySchema,
    success: { status: 200, description: "Sessions", schema: sessionsResponseSchema },
    errors: [400, 401],
  },
  {
    method: "get",
    path: "/api/analytics/sessions/{session_id}",
    summary: "One active session with its whole journey",
    tag: "Live",
    auth: true,
    pathParams: ["session_id"],
    success: { status: 200, description: "The session", schema: sessionResponseSchema },
    errors: [401, 404],
  },
  {
    method: "get",
    path: "/api/analytics/detailed",
    summary: "Summary, sessions, breakdowns, top pages, recent events, visitors in the last minute",
    tag: "Live",
    auth: true,
    query: dimensionFilterSchema,
    success: { status: 200, description: "Detailed view", schema: detailedResponseSchema },
    errors: [400, 401],
  },
  {
    method: "get",
    path: "/api/analytics/timeseries",
    summary: "Pageviews and visitors per minute, hour or day, gaps filled with zeros",
    tag: "History",
    auth: true,
    query: timeseriesQuerySchema,
    success: { status: 200, description: "Points", schema: timeseriesResponseSchema },
    errors: [400, 401],
  },
  {
    method: "get",
    path: "/api/analytics/top",
    summary: "Ranked pages, countries, devices or referrers over whole days",
    tag: "History",
    auth: true,
    query: topQuerySchema,
    success: { status: 200, description: "Ranking", schema: topResponseSchema },
    errors: [400, 401],
  },
  {
    method: "get",
    path: "/api/events/export",
    summary: "Raw events as NDJSON, streamed",
    tag: "History",
    auth: true,
    query: exportQuerySchema,
    success: {
      status: 200,
      description: "One event per line",
      contentType: "application/x-ndjson",
    },
    errors: [400, 401],
  },
  {
    method: "get",
    path: "/api/status",
    summary: "Uptime, dashboards, event rates, memory, caps and limits",
    tag: "Operations",
    auth: true,
    success: { status: 200, description: "Status", schema: statusResponseSchema },
    errors: [401],
  },
  {
    method: "get",
    path: "/health",
    summary: "Health (public)",
    tag: "Operations",
    auth: false,
    success: { status: 200, description: "Healthy", schema: healthSchema },
    sameBodyAs: {
      status: 503,
      description: 'The same body, `status` "degraded" or "shutting_down" (not the error shape)',
    },
    errors: [],
  },
  {
    method: "get",
    path: "/ws",
    summary: "The live WebSocket for dashboards",
    tag: "Live",
    auth: true,
    description:
      "Upgrade to a native WebSocket (`?token=`, since browsers cannot set headers on a WebSocket). Every frame is one JSON object `{type, data}`; see the README for the protocol. Also served on WEBSOCKET_PORT, on any path, when set.",
    success: { status: 101, description: "Switching protocols" },
    errors: [401, 426, 503],
  },
  {
    method: "post",
    path: "/api/visit",
    summary: "Hit counter (compatibility): track a customer's visit from a device",
    tag: "Compatibility",
    auth: false,
    body: visitInputSchema,
    bodyTypes: ["application/json", "text/plain"],
    success: { status: 201, description: "Tracked", schema: messageSchema },
    errors: [400, 403, 408, 413, 415, 429, 503],
  },
  {
    method: "get",
    path: "/api/customer-visit-count",
    summary: "Hit counter (compatibility): a customer's visits to a site across devices",
    tag: "Compatibility",
    auth: "compat",
    query: customerVisitQuerySchema,
    success: { status: 200, description: "Counts", schema: customerVisitCountSchema },
    errors: [400, 401],
  },
  {
    method: "get",
    path: "/api/overall-visit-count",
    summary: "Hit counter (compatibility): all visits to a site",
    tag: "Compatibility",
    auth: "compat",
    query: overallVisitQuerySchema,
    success: { status: 200, description: "Counts", schema: overallVisitCountSchema },
    errors: [400, 401],
  },
  {
    method: "get",
    path: "/api/v1/ping",
    summary: "Country tracker (compatibility): ping",
    tag: "Compatibility",
    auth: false,
    success: { status: 200, description: "pong", schema: messageSchema },
    errors: [],
  },
  {
    method: "get",
    path: "/api/v1/healthcheck",
    summary: "Country tracker (compatibility): health check",
    tag: "Compatibility",
    auth: false,
    success: { status: 200, description: "OK", contentType: "text/plain" },
    errors: [],
  },
  {
    method: "post",
    path: "/api/v1/stats",
    summary: "Country tracker (compatibility): count a visit from a country",
    tag: "Compatibility",
    auth: false,
    description:
      "The seed's statuses: 422 `missing_country_code` without `countryCode`, 403 `invalid_country_code` when it is not two letters (besides 403 `forbidden_origin`).",
    query: countryCodeQuerySchema,
    success: {
      status: 201,
      description: "The new count, under the lower-case code",
      schema: countryCountsSchema,
    },
    errors: [403, 422, 429, 503],
  },
  {
    method: "get",
    path: "/api/v1/stats",
    summary: "Country tracker (compatibility): visits by country",
    tag: "Compatibility",
    auth: "compat",
    success: {
      status: 200,
      description: "Counts by lower-case country code",
      schema: countryCountsSchema,
    },
    errors: [401],
  },
  {
    method: "get",
    path: "/api/openapi.json",
    summary: "This document",
    tag: "Operations",
    auth: false,
    success: { status: 200, description: "OpenAPI 3.1" },
    errors: [],
  },
];

const COMPONENT_REF = (id: string) => `#/components/schemas/${id}`;

function jsonSchema(schema: ZodType): Json {
  const {
    $schema: _,
    $defs: __,
    ...rest
  } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Json;
  // Schemas with an id live once under components (see componentSchemas): point there.
  return JSON.parse(JSON.stringify(rest).replaceAll('"#/$defs/', '"#/components/schemas/')) as Json;
}

function queryParameters(schema: ZodObject): Json[] {
  const object = jsonSchema(schema) as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, property]) => {
    const { description, ...propertySchema } = property;
    const parameter: Json = {
      name,
      in: "query",
      required: object.required?.includes(name) ?? false,
      schema: propertySchema,
    };
    if (description !== undefined) parameter.description = description;
    return parameter;
  });
}

/** Registered schemas (those with `.meta({ id })`) as components, refs pointing at each other. */
function componentSchemas(): Record<string, Json> {
  const all = z.toJSONSchema(z.globalRegistry, {
    io: "input",
    unrepresentable: "any",
    uri: COMPONENT_REF,
  }) as {
    schemas: Record<string, Json>;
  };
  return Object.fromEntries(
    Object.entries(all.schemas).map(([id, schema]) => {
      const { $schema: _, $id: __, ...rest } = schema;
      return [id, rest];
    }),
  );
}

function bodyOrRef(schema: ZodType): Json {
  const id = z.globalRegistry.get(schema)?.id;
  return id ? { $ref: COMPONENT_REF(id) } : jsonSchema(schema);
}

export interface OpenApiOptions {
  /** COMPAT_PUBLIC_READS: the compatibility reads are documented as public. */
  compatPublicReads?: boolean;
}

export function buildOpenApiDocument(version: string, options: OpenApiOptions = {}): Json {
  // Referenced so their `.meta({ id })` registrations are part of the document.
  void errorBodySchema;
  const paths: Record<string, Record<string, Json>> = {};
  for (const operation of OPERATIONS) {
    const responses: Record<string, Json> = {};
    const { success } = operation;
    responses[String(success.status)] = {
      description: success.description,
      ...(success.schema
        ? {
            content: {
              [success.contentType ?? "application/json"]: { schema: bodyOrRef(success.schema) },
            },
          }
        : success.contentType
          ? { content: { [success.contentType]: { schema: { type: "string" } } } }
          : {}),
    };
    if (operation.sameBodyAs && success.schema) {
      responses[String(operation.sameBodyAs.status)] = {
        description: operation.sameBodyAs.description,
        content: { "application/json": { schema: bodyOrRef(success.schema) } },
      };
    }
    for (const status of operation.errors) {
      responses[String(status)] = {
        description: ERROR_DESCRIPTIONS[status] ?? "error",
        content: { "application/json": { schema: { $ref: COMPONENT_REF("ErrorBody") } } },
      };
    }
    const parameters: Json[] = [
      ...(operation.pathParams ?? []).map((name) => ({
        name,
        in: "path",
        required: true,
        schema: { type: "string" },
      })),
      ...(operation.query ? queryParameters(operation.query) : []),
    ];
    const entry: Json = {
      summary: operation.summary,
      tags: [operation.tag],
      operationId: `${operation.method}${operation.path.replace(/[^a-zA-Z0-9]+(.)?/g, (_, next?: string) => (next ?? "").toUpperCase())}`,
      responses,
    };
    if (operation.description) entry.description = operation.description;
    if (parameters.length > 0) entry.parameters = parameters;
    if (operation.body) {
      const schema = bodyOrRef(operation.body);
      entry.requestBody = {
        required: true,
        content: Object.fromEntries(
          (operation.bodyTypes ?? ["application/json"]).map((type) => [type, { schema }]),
        ),
      };
    }
    const auth = operation.auth === "compat" ? !options.compatPublicReads : operation.auth;
    entry.security = auth ? [{ bearer: [] }, { tokenQuery: [] }] : [];
    paths[operation.path] ??= {};
    (paths[operation.path] as Record<string, Json>)[operation.method] = entry;
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Footfall",
      version,
      description:
        'Self-hosted real-time visitor analytics. Events over HTTP; live dashboards over native WebSockets. Every error is `{success:false,error:"<title>",code,message,details?,total_issues?}`: `error` a short human-readable title ("Invalid event data", "Not Found"), `code` the stable machine code. A validation error lists its first 20 issues in `details` and, when there were more, their number in `total_issues`. An unknown route answers 404 with `available_endpoints`; a method a path does not serve answers 405 `method_not_allowed` with `Allow`.',
      license: { name: "MIT", identifier: "MIT" },
    },
    servers: [{ url: "/" }],
    tags: ["Ingestion", "Live", "History", "Operations", "Compatibility"].map((name) => ({ name })),
    paths,
    components: {
      schemas: componentSchemas(),
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "The API token" },
        tokenQuery: {
          type: "apiKey",
          in: "query",
          name: "token",
          description: "The API token, as ?token=",
        },
      },
    },
  };
}

export const DOCUMENTED_ROUTES = OPERATIONS.map(
  ({ method, path }) => `${method.toUpperCase()} ${path}`,
);

/** `"METHOD /path": summary` of every documented route (the root's `endpoints`). */
export const DOCUMENTED_ENDPOINTS: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(
    OPERATIONS.map(({ method, path, summary }) => [`${method.toUpperCase()} ${path}`, summary]),
  ),
);
