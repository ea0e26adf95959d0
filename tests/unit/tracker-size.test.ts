import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { trackerScript } from "../../routes/tracker.ts";
import { startTestServer, type TestServer } from "../support/server.ts";

const GZIP_BUDGET_BYTES = 2048;

describe("the built tracker", () => {
  test(`is under ${GZIP_BUDGET_BYTES} bytes minified and gzipped`, async () => {
    const code = await trackerScript();
    const gzipped = Bun.gzipSync(code).byteLength;
    expect(gzipped).toBeGreaterThan(0);
    expect(gzipped).toBeLessThan(GZIP_BUDGET_BYTES);
  });

  test("is one self-contained script: no imports or exports left for the browser", async () => {
    const code = await trackerScript();
    expect(code).not.toMatch(/\bimport\s*[{("'*]|\bexport\s*[{*]|\brequire\(/);
    // The IIFE keeps every name out of the page's globals.
    expect(code.trim()).toMatch(/^\(\(\)=>\{[\s\S]*\}\)\(\);$/);
  });

  test("is built once: later calls return the same code", async () => {
    expect(await trackerScript()).toBe(await trackerScript());
  });
});

describe("GET /tracker.js and the demo pages", () => {
  let server: TestServer;
  beforeAll(() => {
    server = startTestServer();
  });
  afterAll(() => server.stop());

  test("serves the built tracker as JavaScript, cacheable for an hour, with an ETag", async () => {
    const response = await server.request("/tracker.js");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(response.headers.get("cache-control")).toBe("public, max-age=3600");
    expect(response.headers.get("etag")).toMatch(/^"[^"]+"$/);
    // Other sites' pages load it.
    expect(response.headers.get("cross-origin-resource-policy")).toBe("cross-origin");
    expect(await response.text()).toBe(await trackerScript());
  });

  test("answers 304 with no body when If-None-Match names its ETag", async () => {
    const etag = (await server.request("/tracker.js")).headers.get("etag") ?? "";
    for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, "*"]) {
      const response = await server.request("/tracker.js", {
        headers: { "if-none-match": ifNoneMatch },
      });
      expect(response.status).toBe(304);
      expect(response.headers.get("etag")).toBe(etag);
      expect(response.headers.get("cache-control")).toBe("public, max-age=3600");
      expect(await response.text()).toBe("");
    }
  });

  test("answers 200 when If-None-Match names another ETag", async () => {
    const response = await server.request("/tracker.js", {
      headers: { "if-none-match": '"stale"' },
    });
    expect(response.status).toBe(200);
    expect((await response.text()).length).toBeGreaterThan(0);
  });

  test("serves each demo page as HTML embedding the tracker, with its script and stylesheet", async () => {
    for (const path of ["/demo", "/demo/", "/demo/pricing", "/demo/about"]) {
      const response = await server.request(path);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
      const html = await response.text();
      expect(html).toContain('<script defer src="/tracker.js" data-site="demo"></script>');
      expect(html).toContain('<script defer src="/demo/demo.js"></script>');
      // No inline script: every <script> has a src.
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    }
    const script = await server.request("/demo/demo.js");
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await script.text()).toContain('footfall("signup", { plan: "pro" })');
    const styles = await server.request("/demo/demo.css");
    expect(styles.headers.get("content-type")).toBe("text/css; charset=utf-8");
  });

  test("anything else under /demo is the JSON 404", async () => {
    for (const path of ["/demo/missing", "/demo/../package.json", "/demo/index.html"]) {
      const response = await server.request(path);
      expect(response.status).toBe(404);
      expect((await response.json()).code).toBe("not_found");
    }
  });
});
