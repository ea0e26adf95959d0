import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { documentedRoutes } from "../../routes/api-document.ts";
import { createApp } from "../../routes/app.ts";
import { pageview, startTestServer, type TestServer } from "../support/server.ts";

describe("POST /api/events", () => {
  let server: TestServer;
  beforeAll(() => {
    server = startTestServer({
      MAX_BATCH_EVENTS: "5",
      MAX_EVENT_BYTES: "2048",
      MAX_BATCH_BYTES: "8192",
    });
  });
  afterAll(() => server.stop());

  describe("happy path", () => {
    test("one event answers 201 with exactly the seed's body", async () => {
      const response = await server.postEvent({
        type: "pageview",
        page: "/products",
        session_id: "user-123",
        timestamp: "2025-07-19T10:30:00Z",
        country: "India",
        metadata: { device: "mobile", referrer: "google.com" },
      });
      expect(response.status).toBe(201);
      expect(await response.json()).toEqual({
        success: true,
        message: "Event processed successfully",
        data: {
          session_id: "user-123",
          current_stats: {
            total_active: 1,
            total_today: 1,
            pages_visited: { "/products": 1 },
            pages_total: 1,
          },
        },
      });
    });

    test("text/plain bodies (what sendBeacon sends) are accepted", async () => {
      const response = await server.postEvent(pageview("beacon-1", "/beacon"), {
        contentType: "text/plain;charset=UTF-8",
      });
      expect(response.status).toBe(201);
    });

    test("sessionId is accepted as an alias of session_id", async () => {
      const response = await server.postEvent({
        type: "pageview",
        page: "/alias",
        sessionId: "alias-1",
      });
      const body = await response.json();
      expect(response.status).toBe(201);
      expect(body.data.session_id).toBe("alias-1");
    });

    test("a full URL is reduced to its path and its host kept", async () => {
      await server.postEvent(pageview("url-1", "https://shop.example.com/cart?coupon=secret#top"));
      const detailed = await (
        await server.request("/api/analytics/detailed", { auth: true })
      ).json();
      const stored = detailed.data.recent_events.find(
        (event: { session_id: string }) => event.session_id === "url-1",
      );
      expect(stored.page).toBe("/cart");
      expect(stored.host).toBe("shop.example.com");
      expect(JSON.stringify(stored)).not.toContain("secret");
    });

    test("a batch answers 201 with the accepted count and the current stats", async () => {
      const response = await server.postEvent([
        pageview("batch-1", "/b1"),
        pageview("batch-2", "/b2"),
        pageview("batch-1", "/b3"),
      ]);
      expect(response.status).toBe(201);
      const body = await response.json();
      expect(body.success).toBe(true);
      expect(body.data.accepted).toBe(3);
      expect(body.data.current_stats.pages_visited["/b3"]).toBe(1);
    });

    test("custom and click events keep a session alive without counting as pageviews", async () => {
      const before = (await (await server.postEvent(pageview("custom-1", "/c"))).json()).data
        .current_stats.total_today;
      const response = await server.postEvent({
        type: "custom",
        name: "signup",
        page: "/c",
        session_id: "custom-1",
        metadata: { plan: "pro" },
      });
      expect(response.status).toBe(201);
      const click = await server.postEvent({ type: "click", page: "/c", session_id: "custom-1" });
      expect((await click.json()).data.current_stats.total_today).toBe(before);
    });
  });

  describe("errors", () => {
    test("an invalid event is 400 validation_error naming each failing field", async () => {
      const response = await server.postEvent({
        type: "teleport",
        page: "",
        session_id: "x".repeat(129),
      });
      expect(response.status).toBe(400);
      const body = await response.json();
      expect(body).toMatchObject({
        success: false,
        error: "Invalid event data",
        code: "validation_error",
        message: "Invalid event",
      });
      const paths = body.details.map((detail: { path: string }) => detail.path);
      expect(paths).toEqual(expect.arrayContaining(["type", "page", "session_id"]));
    });

    test("a batch with one bad event is refused whole, each bad index named, nothing kept", async () => {
      const before = (await (await server.request("/api/analytics/summary", { auth: true })).json())
        .data.summary.total_today;
      const response = await server.postEvent([
        pageview("whole-1", "/w"),
        { type: "pageview", page: "/w" },
        pageview("whole-3", "/w"),
        { type: "custom", page: "/w", session_id: "s" },
      ]);
      expect(response.status).toBe(400);
      const body = await response.json();
      expect(body.error).toBe("Invalid event data");
      expect(body.message).toContain("1, 3");
      expect(body.details.map((detail: { index: number }) => detail.index)).toEqual([1, 3]);
      const after = (await (await server.request("/api/analytics/summary", { auth: true })).json())
        .data.summary.total_today;
      expect(after).toBe(before);
    });

    test("a body that is not JSON is 400", async () => {
      const response = await server.postEvent("{not json");
      expect(response.status).toBe(400);
      expect((await response.json()).code).toBe("validation_error");
    });

    test("any other content type is 415", async () => {
      const response = await server.postEvent("type=pageview", {
        contentType: "application/x-www-form-urlencoded",
      });
      expect(response.status).toBe(415);
      expect((await response.json()).code).toBe("unsupported_media_type");
    });

    test("one event over MAX_EVENT_BYTES is 413", async () => {
      const response = await server.postEvent(
        pageview("big-1", "/big", { metadata: { note: "x".repeat(1000), more: "y".repeat(1000) } }),
      );
      expect(response.status).toBe(413);
      expect((await response.json()).code).toBe("payload_too_large");
    });

    test("a batch over MAX_BATCH_EVENTS is 413", async () => {
      const events = Array.from({ length: 6 }, (_, index) => pageview(`many-${index}`));
      const response = await server.postEvent(events);
      expect(response.status).toBe(413);
      expect((await response.json()).details).toEqual({ max_events: 5, received: 6 });
    });

    test("a body over MAX_BATCH_BYTES is 413, and the server keeps serving", async () => {
      const response = await server.postEvent([
        pageview("huge", "/h", { title: "z".repeat(9000) }),
      ]);
      expect(response.status).toBe(413);
      expect((await response.json()).code).toBe("payload_too_large");
      expect((await server.postEvent(pageview("after-huge"))).status).toBe(201);
    });

    test("an empty batch is 400", async () => {
      const response = await server.postEvent([]);
      expect(response.status).toBe(400);
    });

    test("an unknown route is 404 not_found in the error shape, listing the routes there are", async () => {
      const response = await server.request("/api/nothing-here");
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({
        success: false,
        error: "Not Found",
        code: "not_found",
        message: "No route for GET /api/nothing-here",
        available_endpoints: documentedRoutes(createApp(server.services)),
      });
    });
  });
});
