import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  detailedResponseSchema,
  sessionsResponseSchema,
  summaryResponseSchema,
} from "../../schemas/responses.ts";
import { STATS_MAX_BYTES } from "../../services/analytics-store.ts";
import { BATCH_MAX_BYTES } from "../../services/realtime-fanout.ts";
import { eventually, type Frame, pageview, type TestServer } from "../support/server.ts";
import { readText, useTestServers } from "../support/test-servers.ts";

/** "A few hundred KB": what the hardening issue allows any answer or frame. */
const MAX_ANSWER_BYTES = 300_000;
const SESSIONS = 40;
const PAGEVIEWS = 50;
const BIG_EVENTS = 50;

/** A 2,000-character page; every other session's in three-byte characters (6,000 bytes). */
function longPage(session: number, view: number): string {
  const prefix = `/s${session}/p${view}/`;
  const fill = session % 2 === 0 ? "a" : "文";
  return prefix + fill.repeat(2000 - prefix.length);
}

/** A custom event of a long session, with 30 metadata values of 1,000 quotes (2,000 bytes each once escaped). */
function bigEvent(index: number) {
  const metadata: Record<string, string> = {};
  for (let key = 0; key < 30; key++) metadata[`k${key}`] = '"'.repeat(1000);
  const session_id = `long-${index % SESSIONS}`;
  return { type: "custom", name: "big", page: "/buy", session_id, metadata };
}

const bytesOf = (text: string) => Buffer.byteLength(text);

const { start, dashboard } = useTestServers();

describe("answers built from the live state stay within a few hundred KB", () => {
  const running = useTestServers(afterAll);
  let server: TestServer;
  let lastIngestion = "";
  beforeAll(async () => {
    server = running.start();
    for (let session = 0; session < SESSIONS; session++) {
      const batch = [];
      for (let view = 0; view < PAGEVIEWS; view++)
        batch.push(pageview(`long-${session}`, longPage(session, view)));
      const response = await server.postEvent(batch);
      expect(response.status).toBe(201);
    }
    for (let first = 0; first < BIG_EVENTS; first += 10) {
      const batch = [];
      for (let index = first; index < first + 10; index++) batch.push(bigEvent(index));
      const response = await server.postEvent(batch);
      expect(response.status).toBe(201);
    }
    const response = await server.postEvent(pageview("long-0", longPage(0, 99)));
    expect(response.status).toBe(201);
    lastIngestion = await response.text();
  }, 60_000);

  test("the ingestion answer (with current_stats) stays small", () => {
    expect(bytesOf(lastIngestion)).toBeLessThan(MAX_ANSWER_BYTES);
  });

  test("the summary lists the most viewed pages that fit and sums the rest as (other)", async () => {
    const text = await readText(server, "/api/analytics/summary");
    expect(bytesOf(text)).toBeLessThan(MAX_ANSWER_BYTES);
    const { summary } = summaryResponseSchema.parse(JSON.parse(text)).data;
    expect(summary.pages_visited["(other)"]).toBeGreaterThan(0);
    expect(summary.pages_total).toBeGreaterThan(Object.keys(summary.pages_visited).length);
  });

  test("sessions?limit=1000 lists sessions while they fit, says so, and total_count counts all", async () => {
    const text = await readText(server, "/api/analytics/sessions?limit=1000");
    expect(bytesOf(text)).toBeLessThan(MAX_ANSWER_BYTES);
    const { data } = sessionsResponseSchema.parse(JSON.parse(text));
    expect(data.total_count).toBe(SESSIONS);
    expect(data.truncated).toBe(true);
    expect(data.sessions.length).toBeGreaterThan(0);
    expect(data.sessions.length).toBeLessThan(data.total_count);
    // Most recently active first, as without a budget.
    expect(data.sessions[0]?.session_id).toBe("long-0");
  });

  test("a list cuts a long journey to its newest pages; the session itself shows the whole journey", async () => {
    const list = JSON.parse(await readText(server, "/api/analytics/sessions?limit=1000")).data;
    const listed = list.sessions.find(
      (session: { session_id: string }) => session.session_id === "long-0",
    );
    expect(listed.journey_truncated).toBe(true);
    expect(listed.journey.length).toBeGreaterThan(0);
    expect(listed.journey.length).toBeLessThan(PAGEVIEWS);
    expect(listed.journey.at(-1)).toBe(longPage(0, 99));
    const whole = JSON.parse(await readText(server, "/api/analytics/sessions/long-0")).data;
    expect(whole.session.journey).toHaveLength(PAGEVIEWS);
    expect(whole.session.journey.at(-1)).toBe(longPage(0, 99));
  });

  test("detailed keeps sessions and recent events within the budget and reports what it left out", async () => {
    const text = await readText(server, "/api/analytics/detailed");
    expect(bytesOf(text)).toBeLessThan(MAX_ANSWER_BYTES);
    const { data } = detailedResponseSchema.parse(JSON.parse(text));
    expect(data.active_sessions_total).toBe(SESSIONS);
    expect(data.active_sessions.length).toBeGreaterThan(0);
    expect(data.active_sessions_truncated).toBe(true);
    expect(data.recent_events.length).toBeGreaterThan(0);
    expect(data.recent_events.length).toBeLessThan(50);
    expect(data.recent_events_truncated).toBe(true);
    expect(data.recent_events[0]?.session_id).toBe("long-0");
  });

  test("a WebSocket detailed_stats_response frame stays within the budget too", async () => {
    const client = await dashboard(server.wsUrl);
    await client.next("user_connected");
    let raw = "";
    client.socket.addEventListener("message", (message) => {
      const text = String(message.data);
      if (text.startsWith('{"type":"detailed_stats_response"')) raw = text;
    });
    client.send({ type: "request_detailed_stats" });
    await eventually(() => raw !== "");
    expect(bytesOf(raw)).toBeLessThan(MAX_ANSWER_BYTES);
    const frame = JSON.parse(raw) as Frame;
    expect(frame.type).toBe("detailed_stats_response");
    expect(frame.data.active_sessions_truncated).toBe(true);
    expect(frame.data.recent_events_truncated).toBe(true);
  });
});

describe("ANSWER_MAX_BYTES sets the lists' budget", () => {
  test("a smaller budget lists fewer sessions, and says so", async () => {
    const server = start({ ANSWER_MAX_BYTES: String(16 * 1024) });
    const batch = [];
    for (let session = 0; session < 100; session++) {
      for (let view = 0; view < 5; view++) batch.push(pageview(`s-${session}`, `/p${view}`));
    }
    expect((await server.postEvent(batch)).status).toBe(201);
    const small = await readText(server, "/api/analytics/sessions?limit=1000");
    const { data } = sessionsResponseSchema.parse(JSON.parse(small));
    expect(bytesOf(small)).toBeLessThan(16 * 1024 + 2048);
    expect(data.total_count).toBe(100);
    expect(data.truncated).toBe(true);
    expect(data.sessions.length).toBeLessThan(100);
  });
});

describe("frames built from one anonymous batch stay within a few hundred KB", () => {
  test("a batch of 500 long events reaches a batching dashboard in bounded visitor_batch frames, dropped counted; every frame to any dashboard stays small", async () => {
    const server = start();
    const batching = await dashboard(`${server.wsUrl}&batch=1`);
    const each = await dashboard(server.wsUrl);
    const sizes: number[] = [];
    for (const client of [batching, each]) {
      client.socket.addEventListener("message", (message) => {
        sizes.push(bytesOf(String(message.data)));
      });
    }
    await batching.next("user_connected");
    await each.next("user_connected");
    const batch = Array.from({ length: 500 }, (_, index) =>
      pageview(`burst-${index}`, `/b${index}/${"x".repeat(1500)}`),
    );
    expect((await server.postEvent(batch)).status).toBe(201);
    // A dashboard taking every event as its own frame gets them until it falls WS_BACKPRESSURE_BYTES
    // behind (then it is dropped, as any slow reader); each of its frames is small all the same.
    await eventually(() =>
      each.frames.some((frame) => frame.type === "visitor_update" && frame.data.event),
    );
    await eventually(() => batching.frames.some((frame) => frame.type === "visitor_batch"));
    const batches = batching.frames.filter((frame) => frame.type === "visitor_batch");
    const delivered = batches.reduce(
      (sum, frame) => sum + (frame.data.events as unknown[]).length,
      0,
    );
    const dropped = batches.reduce((sum, frame) => sum + Number(frame.data.dropped ?? 0), 0);
    expect(dropped).toBeGreaterThan(0);
    expect(
      delivered +
        dropped +
        batching.frames.filter((frame) => frame.type === "visitor_update").length,
    ).toBe(500);
    // Events and sessions each within BATCH_MAX_BYTES, stats within STATS_MAX_BYTES: ~330 KB.
    expect(Math.max(...sizes)).toBeLessThan(2 * BATCH_MAX_BYTES + STATS_MAX_BYTES + 8192);
  });
});
