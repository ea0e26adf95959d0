import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { prefersMinimalReturn } from "../../routes/events.ts";
import { pageview, startTestServer, type TestServer } from "../support/server.ts";

let server: TestServer;
beforeAll(async () => {
  server = startTestServer();
});
afterAll(async () => {
  await server.stop();
});

function post(body: unknown, headers: Record<string, string> = {}) {
  return server.request("/api/events", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

describe("Prefer: return=minimal on /api/events", () => {
  test("an event sent with it is answered 201 with a tiny body and Preference-Applied", async () => {
    const response = await post(pageview("minimal-1"), {
      prefer: "return=minimal",
    });
    expect(response.status).toBe(201);
    expect(response.headers.get("preference-applied")).toBe("return=minimal");
    expect(await response.text()).toBe('{"success":true}');
  });

  test("the event it carried is counted like any other", async () => {
    await post([pageview("minimal-2"), pageview("minimal-3")], {
      prefer: "respond-async, RETURN=minimal; foo=bar",
    });
    const answer = (await (await post(pageview("minimal-4"))).json()) as {
      data: { current_stats: { total_today: number } };
    };
    expect(answer.data.current_stats.total_today).toBe(4);
  });

  test("without it, or with return=representation, the answer carries the stats as before", async () => {
    for (const headers of [{}, { prefer: "return=representation" }] as Record<string, string>[]) {
      const response = await post(pageview("full"), headers);
      expect(response.status).toBe(201);
      expect(response.headers.get("preference-applied")).toBeNull();
      const body = (await response.json()) as { data: Record<string, unknown> };
      expect(Object.keys(body.data)).toEqual(["session_id", "current_stats"]);
    }
  });

  test("a refused event is refused alike, whatever the preference", async () => {
    const response = await post({ type: "pageview" }, { prefer: "return=minimal" });
    expect(response.status).toBe(400);
    expect(response.headers.get("preference-applied")).toBeNull();
  });

  test("the preference is read as RFC 7240 writes it", () => {
    expect(prefersMinimalReturn("return=minimal")).toBe(true);
    expect(prefersMinimalReturn('return="minimal"')).toBe(true);
    expect(prefersMinimalReturn("wait=10, return=minimal")).toBe(true);
    expect(prefersMinimalReturn("return=representation")).toBe(false);
    expect(prefersMinimalReturn("returnx=minimal")).toBe(false);
    expect(prefersMinimalReturn(undefined)).toBe(false);
  });
});
