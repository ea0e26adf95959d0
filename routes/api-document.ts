import type { OpenAPIHono } from "@hono/zod-openapi";
import { VERSION } from "../config/version.ts";
import type { AppEnv } from "../interfaces/app-env.ts";

const DESCRIPTION =
  'Self-hosted real-time visitor analytics. Events over HTTP; live dashboards over native WebSockets. Every error is `{success:false,error:"<title>",code,message,details?,total_issues?}`: `error` a short human-readable title ("Invalid event data", "Not Found"), `code` the stable machine code. A validation error lists its first 20 issues in `details` and, when there were more, their number in `total_issues`. An unknown route answers 404 with `available_endpoints`; a method a path does not serve answers 405 `method_not_allowed` with `Allow`.';

/** The OpenAPI 3.1 document of every route the app declares (each with its schemas and security). */
export function apiDocument(app: OpenAPIHono<AppEnv>) {
  const registry = app.openAPIRegistry;
  registry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "The API token",
  });
  registry.registerComponent("securitySchemes", "tokenQuery", {
    type: "apiKey",
    in: "query",
    name: "token",
    description: "The API token, as ?token=",
  });
  return app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "Footfall",
      version: VERSION,
      description: DESCRIPTION,
      license: { name: "MIT" },
    },
    servers: [{ url: "/" }],
    tags: ["Ingestion", "Live", "History", "Operations", "Compatibility"].map((name) => ({ name })),
  });
}

/** `"METHOD /path": summary` of every route the app declares, in the order they were declared. */
export function documentedEndpoints(app: OpenAPIHono<AppEnv>): Record<string, string> {
  const endpoints: Record<string, string> = {};
  for (const definition of app.openAPIRegistry.definitions) {
    if (definition.type !== "route") continue;
    const { method, path, summary } = definition.route;
    endpoints[`${method.toUpperCase()} ${path}`] = summary ?? "";
  }
  return endpoints;
}

/** `"METHOD /path"` of every route the app declares. */
export function documentedRoutes(app: OpenAPIHono<AppEnv>): string[] {
  return Object.keys(documentedEndpoints(app));
}
