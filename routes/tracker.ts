import { join } from "node:path";
import { Hono } from "hono";
import type { AppEnv } from "../interfaces/app-env.ts";

const TRACKER_ENTRY = join(import.meta.dir, "..", "tracker", "tracker.ts");
const DEMO_DIR = join(import.meta.dir, "..", "demo");

const HTML = "text/html; charset=utf-8";
const JAVASCRIPT = "text/javascript; charset=utf-8";
const CSS = "text/css; charset=utf-8";

/** URL path -> file in demo/ and its type. A fixed list: no request path ever reaches the disk. */
const DEMO_FILES: Record<string, [file: string, contentType: string]> = {
  "/demo": ["index.html", HTML],
  "/demo/": ["index.html", HTML],
  "/demo/pricing": ["pricing.html", HTML],
  "/demo/about": ["about.html", HTML],
  "/demo/demo.js": ["demo.js", JAVASCRIPT],
  "/demo/demo.css": ["demo.css", CSS],
};

interface TrackerBundle {
  code: string;
  etag: string;
}

let bundle: Promise<TrackerBundle> | undefined;

/** The tracker, minified; built once, on first use. A failed build is retried on the next call. */
function trackerBundle(): Promise<TrackerBundle> {
  bundle ??= (async () => {
    const result = await Bun.build({
      entrypoints: [TRACKER_ENTRY],
      minify: true,
      target: "browser",
      format: "iife",
    });
    const output = result.outputs[0];
    if (!output) throw new Error("building the tracker produced no output");
    const code = await output.text();
    return { code, etag: `"${Bun.hash(code).toString(36)}"` };
  })().catch((error: unknown) => {
    bundle = undefined;
    throw error;
  });
  return bundle;
}

/** The built tracker script, as served at /tracker.js. */
export async function trackerScript(): Promise<string> {
  return (await trackerBundle()).code;
}

/** Whether an If-None-Match header names this ETag (weak comparison, as RFC 9110 asks for GET). */
function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch
    .split(",")
    .map((tag) => tag.trim().replace(/^W\//, ""))
    .some((tag) => tag === "*" || tag === etag);
}

/** `/tracker.js`, the script websites embed, and the `/demo` pages that show it working. */
export function trackerRoutes() {
  const app = new Hono<AppEnv>();

  app.get("/tracker.js", async (c) => {
    const { code, etag } = await trackerBundle();
    c.header("ETag", etag);
    c.header("Cache-Control", "public, max-age=3600");
    if (matchesEtag(c.req.header("if-none-match"), etag)) return c.body(null, 304);
    return c.body(code, 200, { "Content-Type": JAVASCRIPT });
  });

  for (const [path, [file, contentType]] of Object.entries(DEMO_FILES)) {
    app.get(path, async (c) => {
      const body = await Bun.file(join(DEMO_DIR, file)).text();
      return c.body(body, 200, { "Content-Type": contentType, "Cache-Control": "no-cache" });
    });
  }

  return app;
}
