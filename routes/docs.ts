import { dirname, join } from "node:path";
import { createRoute } from "@hono/zod-openapi";
import { ApiError } from "../schemas/errors.ts";
import { newRouter, publicAccess } from "./route-contract.ts";

const SWAGGER_UI = dirname(Bun.resolveSync("swagger-ui-dist/package.json", import.meta.dir));

/** Swagger UI's files, served from node_modules so the docs work with no internet. */
const ASSETS: Record<string, { file: string; type: string }> = {
  "swagger-ui.css": { file: join(SWAGGER_UI, "swagger-ui.css"), type: "text/css; charset=utf-8" },
  "swagger-ui-bundle.js": {
    file: join(SWAGGER_UI, "swagger-ui-bundle.js"),
    type: "text/javascript; charset=utf-8",
  },
  "swagger-ui-standalone-preset.js": {
    file: join(SWAGGER_UI, "swagger-ui-standalone-preset.js"),
    type: "text/javascript; charset=utf-8",
  },
  "favicon-32x32.png": { file: join(SWAGGER_UI, "favicon-32x32.png"), type: "image/png" },
};

// No inline script: the initializer is a file of its own.
const INITIALIZER = `window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/api/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: false,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout"
  });
});
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Footfall API</title>
  <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/assets/init.js"></script>
</body>
</html>
`;

const documentRoute = createRoute({
  method: "get",
  path: "/api/openapi.json",
  summary: "This document",
  tags: ["Operations"],
  ...publicAccess,
  responses: { 200: { description: "OpenAPI 3.1" } },
});

/** GET /api/openapi.json (`document`: the app's, generated from its routes) and the interactive docs at /docs. Public. */
export function docsRoutes(document: () => string) {
  return newRouter()
    .openapi(documentRoute, (c) => c.body(document(), 200, { "Content-Type": "application/json" }))
    .get("/docs", (c) => c.html(PAGE))
    .get("/docs/assets/init.js", (c) =>
      c.body(INITIALIZER, 200, {
        "Content-Type": "text/javascript; charset=utf-8",
        "Cache-Control": "public, max-age=3600",
      }),
    )
    .get("/docs/assets/:name", (c) => {
      const asset = ASSETS[c.req.param("name")];
      if (!asset) throw new ApiError(404, "not_found", "No such docs asset");
      return new Response(Bun.file(asset.file), {
        headers: { "Content-Type": asset.type, "Cache-Control": "public, max-age=86400" },
      });
    });
}
