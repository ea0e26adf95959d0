import { describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { RememberingRouter } from "../../routes/remembering-router.ts";

function appWith(router?: RememberingRouter<never>) {
  const app = router ? new Hono({ router }) : new Hono();
  app.use("*", async (c, next) => {
    await next();
    c.header("X-Seen", "1");
  });
  app.get("/docs/assets/init.js", (c) => c.text("init"));
  app.get("/docs/assets/:name", (c) => c.text(`asset ${c.req.param("name")}`));
  app.post("/api/events", (c) => c.text("events"));
  app.get("/api/sessions/:id", (c) => c.text(`session ${c.req.param("id")}`));
  app.get("/:asset{[\\w.-]+\\.js}", (c) => c.text(`bundle ${c.req.param("asset")}`));
  return app;
}

const REQUESTS: [string, string][] = [
  ["GET", "/docs/assets/init.js"],
  ["GET", "/docs/assets/swagger.css"],
  ["POST", "/api/events"],
  ["GET", "/api/events"],
  ["GET", "/api/sessions/a%20b"],
  ["GET", "/api/sessions/other"],
  ["GET", "/chunk-1.js"],
  ["GET", "/nothing"],
];

async function answers(app: Hono) {
  const seen: string[] = [];
  for (const [method, path] of REQUESTS) {
    const response = await app.request(path, { method });
    seen.push(`${method} ${path} ${response.status} ${await response.text()}`);
  }
  return seen;
}

describe("RememberingRouter", () => {
  test("answers every request as Hono's default router does, the first time and the next", async () => {
    const expected = await answers(appWith());
    const app = appWith(new RememberingRouter());
    expect(await answers(app)).toEqual(expected);
    expect(await answers(app)).toEqual(expected);
  });

  test("a path's parameters are its own, whichever path was matched before", async () => {
    const app = appWith(new RememberingRouter());
    for (const id of ["one", "two", "one"]) {
      expect(await (await app.request(`/api/sessions/${id}`)).text()).toBe(`session ${id}`);
    }
  });

  test("remembers a bounded number of paths, and still matches past the bound", async () => {
    const router = new RememberingRouter<never>();
    const app = new Hono({ router }).get("/items/:id", (c) => c.text(c.req.param("id")));
    for (let index = 0; index < 3000; index++) {
      expect(await (await app.request(`/items/${index}`)).text()).toBe(String(index));
    }
    const remembered = (router as unknown as { matches: Map<string, Map<string, unknown>> })
      .matches;
    expect(remembered.get("GET")?.size).toBeLessThanOrEqual(1024);
  });
});

test("a client's made-up methods cannot grow the memory, and are still matched", () => {
  const router = new RememberingRouter<string>();
  router.add("ALL", "/anything", "handler");
  for (let index = 0; index < 100; index++) {
    const [handlers] = router.match(`M${index}`, "/anything");
    expect(handlers.map(([handler]) => handler)).toEqual(["handler"]);
  }
  const remembered = (router as unknown as { matches: Map<string, unknown> }).matches;
  expect(remembered.size).toBeLessThanOrEqual(16);
});
