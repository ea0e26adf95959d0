import { join } from "node:path";
import { type Context, Hono } from "hono";
import type { AppEnv } from "../interfaces/app-env.ts";
import { DOCUMENTED_ENDPOINTS } from "./openapi.ts";
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

let bundle: Promise<DashboardBundle> | undefined;

/**
 * Bundles `dashboard/index.html` with its script and stylesheet in memory, once, on the first
 * request that needs it. A failed build is not kept, so the next request tries again.
 */
export function dashboardBundle(): Promise<DashboardBundle> {
  bundle ??= buildDashboard().catch((error: unknown) => {
    bundle = undefined;
    throw error;
  });
  return bundle;
}

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

async function sendDashboard(c: Context<AppEnv>): Promise<Response> {
  const { page } = await dashboardBundle();
  c.header("Content-Security-Policy", DASHBOARD_CSP);
  return send(c, page, REVALIDATE);
}

/**
 * The live dashboard and its bundled assets. The page holds no data: that comes over the
 * authenticated WebSocket. `/` answers by `Accept`: the dashboard to a browser (so the start-up
 * banner's `/#token=` link opens it), service information as JSON to anything else, as the
 * seed's root did; `/dashboard` is always the page.
 */
export function frontendRoutes() {
  return new Hono<AppEnv>()
    .get("/", async (c) => {
      c.header("Vary", "Accept");
      if (wantsHtml(c)) return sendDashboard(c);
      c.header("Cache-Control", REVALIDATE);
      return c.json(serviceInfo(c, DOCUMENTED_ENDPOINTS));
    })
    .get("/dashboard", sendDashboard)
    .get("/:asset{[\\w.-]+\\.(?:js|css|map)}", async (c) => {
      const { assets } = await dashboardBundle();
      const asset = assets.get(c.req.path);
      if (!asset) return c.notFound();
      return send(c, asset, IMMUTABLE);
    });
}

function send(c: Context<AppEnv>, file: BuiltFile, cacheControl: string): Response {
  c.header("Cache-Control", cacheControl);
  c.header("ETag", file.etag);
  if (c.req.header("if-none-match") === file.etag) return c.body(null, 304);
  c.header("Content-Type", file.contentType);
  return c.body(file.bytes);
}
