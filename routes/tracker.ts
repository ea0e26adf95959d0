import { join } from "node:path";
import { Hono } from "hono";
import type { AppEnv } from "../interfaces/app-env.ts";
import { builtOnce, withEtag } from "./built-asset.ts";

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

/** The tracker, minified; built once, on first use. */
const trackerBundle = builtOnce(async (): Promise<TrackerBundle> => {
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
});

/** The built tracker script, as served at /tracker.js. */
export async function trackerScript(): Promise<string> {
  return (await trackerBundle()).code;
}

/** `/tracker.js`, the script websites embed, and the `/demo` pages that show it working. */
export function trackerRoutes() {
  const app = new Hono<AppEnv>();

  app.get("/tracker.js", async (c) => {
    const { code, etag } = await trackerBundle();
    return withEtag(c, () =>
      c.body(code, 200, {
        "Content-Type": JAVASCRIPT,
        ETag: etag,
        "Cache-Control": "public, max-age=3600",
      }),
    );
  });

  for (const [path, [file, contentType]] of Object.entries(DEMO_FILES)) {
    app.get(path, async (c) => {
      const body = await Bun.file(join(DEMO_DIR, file)).text();
      return c.body(body, 200, { "Content-Type": contentType, "Cache-Control": "no-cache" });
    });
  }

  return app;
}
