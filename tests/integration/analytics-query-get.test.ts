import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ManualClock } from "../../services/clock.ts";
import { startTestServer, type TestServer } from "../support/server.ts";

// The query endpoint's other spellings: GET with query parameters (Plausible v1's filters and
// order too), `period`, `include.comparisons`, and the "is not". Each must answer exactly
// what the POST body it stands for answers.

const SITE = "spell.test";

describe("the query endpoint's other spellings", () => {
  const clock = new ManualClock(Date.parse("2026-03-10T10:00:00Z"));
  let server: TestServer;

  beforeAll(async () => {
    server = startTestServer({}, { clock });
    const view = (session: string, page: string, country: string, user: string) => ({
      type: "pageview",
      site: SITE,
      page,
      session_id: session,
      country,
      user_id: user,
    });
    const response = await server.postEvent([
      view("a", "/", "US", "ann"),
      view("a", "/blog/one", "US", "ann"),
      view("b", "/", "GB", "bob"),
      view("c", "/blog/two", "DE", "cid"),
      view("c", "/pricing", "DE", "cid"),
    ]);
    expect(response.status).toBe(201);
  });
  afterAll(() => server.stop());

  async function post(body: Record<string, unknown>) {
    const response = await server.request("/api/analytics/query", {
      method: "POST",
      auth: true,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }
  async function get(params: Record<string, string>) {
    const response = await server.request(`/api/analytics/query?${new URLSearchParams(params)}`, {
      auth: true,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  test("GET with comma lists answers as the POST body it stands for", async () => {
    const viaGet = await get({
      site: SITE,
      date_range: "day",
      metrics: "visitors,pageviews",
      dimensions: "country",
      order_by: "visitors:desc,country:asc",
    });
    const viaPost = await post({
      site: SITE,
      date_range: "day",
      metrics: ["visitors", "pageviews"],
      dimensions: ["country"],
      order_by: [
        ["visitors", "desc"],
        ["country", "asc"],
      ],
    });
    expect(viaGet.status).toBe(200);
    expect(viaGet.body).toEqual(viaPost.body);
    expect((viaGet.body.results as unknown[]).length).toBe(3);
  });

  test("Plausible v1's filters: == with | between values, != and ~", async () => {
    const is = await get({
      site: SITE,
      period: "day",
      metrics: "visitors",
      filters: "visit:country==US|GB",
    });
    expect((is.body.results as { metrics: number[] }[])[0]?.metrics).toEqual([2]);
    const isNot = await get({
      site: SITE,
      period: "day",
      metrics: "visitors",
      filters: "visit:country!=US",
    });
    expect((isNot.body.results as { metrics: number[] }[])[0]?.metrics).toEqual([2]);
    const contains = await get({
      site: SITE,
      period: "day",
      metrics: "pageviews",
      property: "event:page",
      filters: "event:page~blog",
    });
    expect(contains.body.results).toEqual([
      { dimensions: ["/blog/one"], metrics: [1] },
      { dimensions: ["/blog/two"], metrics: [1] },
    ]);
  });

  test("a JSON filters parameter, two days as date_range, and compare", async () => {
    const answer = await get({
      site: SITE,
      date_range: "2026-03-10,2026-03-10",
      metrics: "visitors",
      filters: JSON.stringify([["is", "country", ["DE"]]]),
      compare: "previous_period",
    });
    expect(answer.status).toBe(200);
    expect(answer.body.results).toEqual([
      { dimensions: [], metrics: [1], comparison: { metrics: [0], change: [null] } },
    ]);
  });

  test('"is not" and include.comparisons are the body\'s is_not and compare', async () => {
    const aliased = await post({
      site: SITE,
      period: "day",
      metrics: ["visitors"],
      filters: [["is not", "country", ["US"]]],
      include: { comparisons: { mode: "previous_period" } },
    });
    const plain = await post({
      site: SITE,
      date_range: "day",
      metrics: ["visitors"],
      filters: [["is_not", "country", ["US"]]],
      compare: "previous_period",
    });
    expect(aliased.status).toBe(200);
    expect(aliased.body).toEqual(plain.body);
    expect((aliased.body.results as { comparison?: unknown }[])[0]?.comparison).toBeDefined();
  });

  test("GET refuses what POST refuses, naming it", async () => {
    const unknownMetric = await get({ site: SITE, metrics: "visitors,bounces" });
    expect(unknownMetric.status).toBe(400);
    expect(unknownMetric.body.code).toBe("validation_error");
    expect(String(unknownMetric.body.message)).toContain('"bounces"');
    const unknownDimension = await get({ site: SITE, metrics: "visitors", dimensions: "colour" });
    expect(unknownDimension.status).toBe(400);
    expect(String(unknownDimension.body.message)).toContain('"colour"');
    const noSite = await get({ metrics: "visitors" });
    expect(noSite.status).toBe(400);
    const noToken = await server.request(`/api/analytics/query?site=${SITE}&metrics=visitors`);
    expect(noToken.status).toBe(401);
  });
});
