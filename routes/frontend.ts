import { join } from "node:path";
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../interfaces/app-env.ts";
import { serviceInfoSchema } from "../schemas/server-responses.ts";
import { builtOnce, withEtag } from "./built-asset.ts";
import { newRouter, publicAccess } from "./route-contract.ts";
import { serviceInfo } from "./status.ts";

export const DASHBOARD_ENTRYPOINT = join(import.meta.dir, "..", "dashboard", "index.html");

/** Hashed names change with their content, so browsers may keep them for good. */
const IMMUTABLE = "public, max-age=31536000, immutable";
/** The page names the current hashes: always revalidated. */
const REVALIDATE = "no-cache";

interface BuiltFile {
  bytes: Uint8Array<ArrayBuffer>;
  contentType: string;
  etag: string;
}

export interface DashboardBundle {
  page: BuiltFile;
  /** Scripts and styles by URL path (`/chunk-1a2b3c.js`). */
  assets: ReadonlyMap<string, BuiltFile>;
}

/**
 * Bundles `dashboard/index.html` with its script and stylesheet in memory, once, on the first
 * request that needs it.
 */
export const dashboardBundle = builtOnce(buildDashboard);

async function buildDashboard(): Promise<DashboardBundle> {
  const result = await Bun.build({
    entrypoints: [DASHBOARD_ENTRYPOINT],
    minify: true,
    target: "browser",
  });
  if (!result.success) {
    throw new Error(`The dashboard did not build: ${result.logs.map(String).join("; ")}`);
  }
  let page: BuiltFile | undefined;
  const assets = new Map<string, BuiltFile>();
  for (const output of result.outputs) {
    const file: BuiltFile = {
      bytes: new Uint8Array(await output.arrayBuffer()),
      contentType: output.type,
      etag: `"${output.hash ?? Bun.hash(output.path).toString(36)}"`,
    };
    // Outputs are named relative to the page ("./chunk-1a2b3c.js"), which is served at "/".
    const path = output.path.replace(/^\.\//, "/");
    if (path === "/index.html") page = file;
    else assets.set(path, file);
  }
  if (!page) throw new Error("The dashboard build produced no index.html");
  return { page, assets };
}

/**
 * The dashboard page holds the API token: nothing but its own bundled script may run in it, and
 * no other site may frame it. Styles are only the bundled stylesheet (uPlot and the bars set
 * styles through the CSSOM, which CSP does not govern); the favicon is a `data:` URL; the
 * WebSocket is same-origin, listed as ws:/wss: for browsers whose 'self' does not cover it.
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "object-src 'none'",
].join("; ");

/** A browser asks for HTML; API clients (curl, Postman: `*\/*`) and scripts do not. */
function wantsHtml(c: Context<AppEnv>): boolean {
  return (c.req.header("accept") ?? "").toLowerCase().includes("text/html");
}

function sendDashboard(c: Context<AppEnv>): Promise<Response> {
  return withEtag(c, async () => {
    const { page } = await dashboardBundle();
    c.header("Content-Security-Policy", DASHBOARD_CSP);
    return send(c, page, REVALIDATE);
  });
}

const rootRoute = createRoute({
  method: "get",
  path: "/",
  summary: "Service information (JSON); the live dashboard to a browser (Accept: text/html)",
  description:
    "Answers by `Accept` (and says so with `Vary: Accept`): a request accepting `text/html` gets the dashboard page, which is also at `/dashboard`; anything else this JSON.",
  tags: ["Operations"],
  ...publicAccess,
  responses: {
    200: {
      description: "Service information, or the dashboard page",
      content: {
        "application/json": { schema: serviceInfoSchema },
        "text/html": { schema: z.string() },
      },
    },
  },
});

/**
 * The live dashboard and its bundled assets. The page holds no data: that comes over the
 * authenticated WebSocket. `/` answers by `Accept`: the dashboard to a browser (so the start-up
 * banner's `/#token=` link opens it), service information as JSON to anything else, as earlier
 * clients read it; `/dashboard` is always the page. `endpoints`: every documented route.
 */
export function frontendRoutes(endpoints: () => Readonly<Record<string, string>>) {
  return newRouter()
    .openapi(rootRoute, async (c) => {
      c.header("Vary", "Accept");
      if (wantsHtml(c)) return sendDashboard(c);
      c.header("Cache-Control", REVALIDATE);
      return c.json(serviceInfo(c, endpoints()), 200);
    })
    .get("/dashboard", sendDashboard)
    .get("/:asset{[\\w.-]+\\.(?:js|css|map)}", async (c) => {
      const { assets } = await dashboardBundle();
      const asset = assets.get(c.req.path);
      if (!asset) return c.notFound();
      return withEtag(c, () => send(c, asset, IMMUTABLE));
    });
}

function send(c: Context<AppEnv>, file: BuiltFile, cacheControl: string): Response {
  return c.body(file.bytes, 200, {
    "Cache-Control": cacheControl,
    ETag: file.etag,
    "Content-Type": file.contentType,
  });
}
