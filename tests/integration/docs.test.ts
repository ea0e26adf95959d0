import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createRoute } from "@hono/zod-openapi";
import { Validator } from "@seriousme/openapi-schema-validator";
import { documentedRoutes } from "../../routes/api-document.ts";
import { createApp } from "../../routes/app.ts";
import { jsonResponse, newRouter } from "../../routes/route-contract.ts";
import { healthSchema } from "../../schemas/server-responses.ts";
import { startTestServer, type TestServer } from "../support/server.ts";

describe("API documentation", () => {
  let server: TestServer;
  beforeAll(() => {
    server = startTestServer();
  });
  afterAll(() => server.stop());

  test("GET /api/openapi.json is a valid OpenAPI 3.1 document, public", async () => {
    const response = await server.request("/api/openapi.json");
    expect(response.status).toBe(200);
    const document = await response.json();
    expect(document.openapi).toBe("3.1.0");
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  test("every route of the server is documented", async () => {
    const document = await (await server.request("/api/openapi.json")).json();
    const documented = Object.entries(
      document.paths as Record<string, Record<string, unknown>>,
    ).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    for (const route of [
      "POST /api/events",
      "GET /api/analytics/summary",
      "GET /api/analytics/sessions",
      "GET /api/analytics/sessions/{session_id}",
      "GET /api/analytics/detailed",
      "GET /api/analytics/timeseries",
      "GET /api/analytics/top",
      "GET /api/events/export",
      "GET /api/status",
      "GET /health",
      "GET /ws",
      "POST /api/visit",
      "GET /api/customer-visit-count",
      "GET /api/overall-visit-count",
      "GET /api/v1/ping",
      "GET /api/v1/healthcheck",
      "POST /api/v1/stats",
      "GET /api/v1/stats",
      "GET /api/openapi.json",
      "GET /metrics",
      "GET /",
    ]) {
      expect(documented).toContain(route);
    }
    // And nothing the app serves under /api, /health or /metrics is left out (pages and assets aside; the
    // root is documented for its JSON answer).
    const served = createApp(server.services)
      .routes.filter((route) => route.method !== "ALL")
      .map((route) => `${route.method} ${route.path.replace(/:(\w+)/g, "{$1}")}`)
      .filter((route) => / \/(api|health|metrics)/.test(route));
    expect([...new Set(served)].sort()).toEqual(
      documented.filter((route) => route !== "GET /ws" && route !== "GET /").sort(),
    );
    expect(documented.sort()).toEqual(documentedRoutes(createApp(server.services)).sort());
  });

  test("schemas come from the zod schemas the server validates with", async () => {
    const document = await (await server.request("/api/openapi.json")).json();
    const event = document.components.schemas.EventInput;
    expect(event.properties.type.enum).toEqual(["pageview", "click", "session_end", "custom"]);
    expect(event.properties.page.maxLength).toBe(2048);
    expect(event.properties.session_id.maxLength).toBe(128);
    const body = document.paths["/api/events"].post.requestBody.content;
    expect(Object.keys(body)).toEqual(["application/json", "text/plain"]);
    const limit = document.paths["/api/analytics/sessions"].get.parameters.find(
      (parameter: { name: string }) => parameter.name === "limit",
    );
    expect(limit.schema).toMatchObject({ minimum: 1, maximum: 1000, default: 50 });
    expect(document.paths["/api/analytics/summary"].get.security).toEqual([
      { bearer: [] },
      { tokenQuery: [] },
    ]);
    expect(document.paths["/api/events"].post.security).toEqual([]);
    expect(
      document.paths["/api/events"].post.responses["400"].content["application/json"].schema.$ref,
    ).toBe("#/components/schemas/ErrorBody");
  });

  test("the read answers are documented by their own response schemas, not a generic envelope", async () => {
    const document = await (await server.request("/api/openapi.json")).json();
    const refs: Record<string, string> = {
      "/api/analytics/summary": "SummaryResponse",
      "/api/analytics/sessions": "SessionsResponse",
      "/api/analytics/sessions/{session_id}": "SessionResponse",
      "/api/analytics/detailed": "DetailedResponse",
      "/api/status": "StatusResponse",
    };
    for (const [path, id] of Object.entries(refs)) {
      const schema = document.paths[path].get.responses["200"].content["application/json"].schema;
      expect(schema.$ref).toBe(`#/components/schemas/${id}`);
    }
    const detailed = document.components.schemas.DetailedResponse.properties.data;
    expect(detailed.properties.recent_events.items.$ref).toBe("#/components/schemas/VisitorEvent");
    expect(document.components.schemas.VisitorEvent.required).toContain("received_at");
    const status = document.components.schemas.StatusResponse.properties.data;
    expect(Object.keys(status.properties.memory.properties)).toEqual([
      "rss",
      "heap_used",
      "heap_total",
    ]);
  });

  test("a handler answering another shape than its route declares does not compile", async () => {
    const route = createRoute({
      method: "get",
      path: "/health-like",
      responses: { 200: jsonResponse(healthSchema, "Health") },
    });
    const memory = { rss: 1, heap_used: 1, heap_total: 1 };
    const right = { status: "healthy" as const, timestamp: "t", uptime: 1, memory, version: "1" };
    const wrong = { ...right, uptime: "an hour" };
    const router = newRouter()
      // @ts-expect-error `uptime` is a string here, a number in the schema: tsc --noEmit refuses it.
      .openapi(route, (c) => c.json(wrong, 200))
      .openapi({ ...route, path: "/right" }, (c) => c.json(right, 200));
    expect((await router.request("/right")).status).toBe(200);
  });

  test("/docs is an interactive page that loads only local assets", async () => {
    const response = await server.request("/docs");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    const html = await response.text();
    expect(html).not.toMatch(/(src|href)="https?:\/\//);
    expect(html).not.toMatch(/<script>(?!<\/script>)/);
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1] as string);
    expect(assets.length).toBeGreaterThanOrEqual(5);
    const types: Record<string, string> = {
      ".css": "text/css",
      ".js": "text/javascript",
      ".png": "image/png",
    };
    for (const asset of assets) {
      const assetResponse = await server.request(asset);
      expect(assetResponse.status).toBe(200);
      const extension = asset.slice(asset.lastIndexOf("."));
      expect(assetResponse.headers.get("content-type")).toContain(types[extension] as string);
      expect((await assetResponse.arrayBuffer()).byteLength).toBeGreaterThan(0);
    }
  });

  test("an unknown docs asset is 404 in the error shape", async () => {
    const response = await server.request("/docs/assets/../../package.json");
    expect(response.status).toBe(404);
    const other = await server.request("/docs/assets/nothing.js");
    expect(other.status).toBe(404);
    expect((await other.json()).code).toBe("not_found");
  });
});
