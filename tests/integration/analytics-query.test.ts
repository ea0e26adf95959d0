import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ManualClock } from "../../services/clock.ts";
import { startTestServer, type TestServer } from "../support/server.ts";

// A scripted set of visits on a clock moved by hand, then every figure of the query endpoint
// checked exactly (docs/analytics-query.md).

const CHROME =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.91 Safari/537.36";
const GB_IP = "81.2.69.142";
const DAY = "2026-03-10";
const PREVIOUS_DAY = "2026-03-09";
const NEXT_DAY = "2026-03-11";
const SHOP = "shop.test";

type Body = Record<string, unknown>;
interface Answer {
  results: { dimensions: string[]; metrics: (number | null)[]; comparison?: Body }[];
  meta: { total_rows: number; time_labels?: string[] };
  query: Body;
}

describe("POST /api/analytics/query over scripted visits", () => {
  const clock = new ManualClock(Date.parse(`${PREVIOUS_DAY}T10:00:00Z`));
  let server: TestServer;
  const at = (day: string, time: string) => clock.set(Date.parse(`${day}T${time}Z`));

  async function send(events: Body | Body[]) {
    const response = await server.postEvent(events);
    expect(response.status).toBe(201);
  }
  async function collect(event: Body, ip = GB_IP) {
    const response = await server.request("/api/collect", {
      method: "POST",
      headers: { "content-type": "text/plain", "user-agent": CHROME, "x-forwarded-for": ip },
      body: JSON.stringify(event),
    });
    expect(response.status).toBe(202);
  }
  const view = (session: string, page: string, site = SHOP, extra: Body = {}) => ({
    type: "pageview",
    page,
    session_id: session,
    site,
    country: "US",
    ...extra,
  });
  const custom = (session: string, name: string, metadata: Body, site = SHOP, page = "/") => ({
    type: "custom",
    name,
    page,
    session_id: session,
    site,
    country: "US",
    metadata,
  });

  /** As the tracker sends it: the country comes from the address. */
  const tracked = ({ country: _, ...event }: Body) => event;

  async function ask(body: Body): Promise<{ status: number; body: Answer & Body }> {
    const response = await server.request("/api/analytics/query", {
      method: "POST",
      auth: true,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Answer & Body };
  }
  async function query(body: Body): Promise<Answer> {
    const { status, body: answer } = await ask({ site: SHOP, date_range: [DAY, DAY], ...body });
    if (status !== 200) throw new Error(`${status}: ${JSON.stringify(answer)}`);
    return answer;
  }
  const table = (answer: Answer) =>
    Object.fromEntries(answer.results.map((row) => [row.dimensions.join("|"), row.metrics]));

  beforeAll(async () => {
    server = startTestServer({ TRUST_PROXY: "true", PROP_VALUES_PER_DAY: "2" }, { clock });
    // The day before: one bounce and one visit of two pages.
    await send(view("p1", "/home"));
    await send(view("p2", "/home"));
    at(PREVIOUS_DAY, "10:02:00");
    await send(view("p2", "/pricing"));

    at(DAY, "10:00:00");
    await send(view("s1", "/home", SHOP, { metadata: { referrer: "https://www.google.com/" } }));
    at(DAY, "10:01:00");
    await send(view("s1", "/pricing"));
    at(DAY, "10:03:00");
    await send(view("s1", "/signup"));
    at(DAY, "10:03:30");
    await send(custom("s1", "signup", { plan: "pro" }, SHOP, "/signup"));
    at(DAY, "10:05:00");
    await send(view("s2", "/home"));
    at(DAY, "10:10:00");
    await send(view("s3", "/blog/a", SHOP, { utm_source: "newsletter" }));
    at(DAY, "10:12:00");
    await send(view("s3", "/blog/b"));
    at(DAY, "11:00:00");
    await collect(tracked(view("c1", "/home")));
    at(DAY, "11:02:00");
    await collect(tracked(view("c1", "/thank-you/done")));
    at(DAY, "11:02:30");
    await collect(tracked(custom("c1", "signup", { plan: "free" }, SHOP, "/thank-you/done")));
    const goal = await server.request("/api/analytics/goals", {
      method: "POST",
      auth: true,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ site: SHOP, page_path: "/thank-you*" }),
    });
    expect(goal.status).toBe(201);
  });
  afterAll(() => server.stop());

  describe("happy path", () => {
    test("the day's totals: every metric exact, active sessions included", async () => {
      const answer = await query({
        metrics: [
          "visitors",
          "visits",
          "pageviews",
          "views_per_visit",
          "bounce_rate",
          "visit_duration",
          "events",
        ],
      });
      // 4 visits (s1, s2, s3, c1); 8 pageviews; one bounce (s2); durations 210, 0, 120, 150 s;
      // events 4 + 1 + 2 + 3.
      expect(answer.results).toEqual([{ dimensions: [], metrics: [4, 4, 8, 2, 25, 120, 10] }]);
      expect(answer.meta.total_rows).toBe(1);
      expect(answer.query.date_range).toEqual([`${DAY}T00:00:00.000Z`, `${DAY}T23:59:59.999Z`]);
    });

    test("entry and exit pages, source and country are the visit's", async () => {
      const metrics = ["visits", "bounce_rate"];
      expect(table(await query({ metrics, dimensions: ["entry_page"] }))).toEqual({
        "/home": [3, 33],
        "/blog/a": [1, 0],
      });
      expect(table(await query({ metrics, dimensions: ["exit_page"] }))).toEqual({
        "/signup": [1, 0],
        "/home": [1, 100],
        "/blog/b": [1, 0],
        "/thank-you/done": [1, 0],
      });
      expect(table(await query({ metrics: ["visitors"], dimensions: ["source"] }))).toEqual({
        "Direct / None": [2],
        Google: [1],
        newsletter: [1],
      });
      expect(table(await query({ metrics: ["visitors"], dimensions: ["country"] }))).toEqual({
        US: [3],
        GB: [1],
      });
      expect(table(await query({ metrics: ["visitors"], dimensions: ["browser"] }))).toEqual({
        "(none)": [3],
        Chrome: [1],
      });
    });

    test("pages count their events; time:hour and time:day bucket them", async () => {
      expect(
        table(await query({ metrics: ["visitors", "pageviews"], dimensions: ["page"] })),
      ).toEqual({
        "/home": [3, 3],
        "/pricing": [1, 1],
        "/signup": [1, 1],
        "/blog/a": [1, 1],
        "/blog/b": [1, 1],
        "/thank-you/done": [1, 1],
      });
      const hours = await query({ metrics: ["visitors", "pageviews"], dimensions: ["time:hour"] });
      expect(hours.results).toEqual([
        { dimensions: [`${DAY} 10:00:00`], metrics: [3, 6] },
        { dimensions: [`${DAY} 11:00:00`], metrics: [1, 2] },
      ]);
      expect(hours.meta.time_labels).toHaveLength(24);
      expect(hours.meta.time_labels?.[0]).toBe(`${DAY} 00:00:00`);
      const days = await query({
        date_range: [PREVIOUS_DAY, DAY],
        metrics: ["visits", "pageviews"],
        dimensions: ["time:day"],
      });
      expect(days.results).toEqual([
        { dimensions: [PREVIOUS_DAY], metrics: [2, 3] },
        { dimensions: [DAY], metrics: [4, 8] },
      ]);
      expect(days.meta.time_labels).toEqual([PREVIOUS_DAY, DAY]);
    });

    test("filters: is, is_not, contains, on visits and on events", async () => {
      const gb = await query({ metrics: ["visits"], filters: [["is", "country", ["GB"]]] });
      expect(gb.results[0]?.metrics).toEqual([1]);
      const notGb = await query({ metrics: ["visits"], filters: [["is_not", "country", ["GB"]]] });
      expect(notGb.results[0]?.metrics).toEqual([3]);
      const blog = await query({
        metrics: ["visitors", "pageviews", "visits", "bounce_rate"],
        filters: [["contains", "page", ["BLOG"]]],
      });
      expect(blog.results[0]?.metrics).toEqual([1, 2, 1, 0]);
      const fromGoogle = await query({
        metrics: ["pageviews"],
        dimensions: ["page"],
        filters: [["is", "source", ["Google"]]],
      });
      expect(table(fromGoogle)).toEqual({ "/home": [1], "/pricing": [1], "/signup": [1] });
    });

    test("ordering and pagination, with the total number of rows", async () => {
      const answer = await query({
        metrics: ["pageviews"],
        dimensions: ["page"],
        order_by: [
          ["pageviews", "desc"],
          ["page", "asc"],
        ],
        limit: 2,
        offset: 1,
      });
      expect(answer.results.map((row) => row.dimensions[0])).toEqual(["/blog/a", "/blog/b"]);
      expect(answer.meta.total_rows).toBe(6);
      const ascending = await query({
        metrics: ["visits"],
        dimensions: ["entry_page"],
        order_by: [["visits", "asc"]],
        pagination: { limit: 1 },
      });
      expect(ascending.results).toEqual([{ dimensions: ["/blog/a"], metrics: [1] }]);
    });

    test("compare=previous_period gives the day before and the change", async () => {
      const answer = await query({
        date_range: "day",
        date: DAY,
        metrics: ["visitors", "pageviews", "bounce_rate"],
        compare: "previous_period",
      });
      expect(answer.results).toEqual([
        {
          dimensions: [],
          metrics: [4, 8, 25],
          comparison: { metrics: [2, 3, 50], change: [100, 167, -25] },
        },
      ]);
      expect(answer.query.comparison_date_range).toEqual([
        `${PREVIOUS_DAY}T00:00:00.000Z`,
        `${PREVIOUS_DAY}T23:59:59.999Z`,
      ]);
    });
    test("visits that time out keep their figures and their source in the archive's final row", async () => {
      at(DAY, "11:40:00");
      server.services.pipeline.tick(clock.now());
      const answer = await query({
        metrics: ["visitors", "visits", "pageviews", "bounce_rate", "visit_duration"],
        dimensions: ["source"],
      });
      expect(table(answer)).toEqual({
        "Direct / None": [2, 2, 3, 50, 75],
        Google: [1, 1, 3, 0, 210],
        newsletter: [1, 1, 2, 0, 120],
      });
      const reasons = server.services.database.db
        .query("SELECT DISTINCT end_reason FROM sessions WHERE started_at >= ?")
        .all(Date.parse(`${DAY}T00:00:00Z`));
      expect(reasons).toEqual([{ end_reason: "timeout" }]);
    });
  });

  describe("goals", () => {
    test("custom events and a page goal with a wildcard, with their conversion rates", async () => {
      const answer = await query({
        metrics: ["visitors", "events", "conversion_rate"],
        dimensions: ["goal"],
      });
      expect(table(answer)).toEqual({ signup: [2, 2, 50], "Visit /thank-you*": [1, 1, 25] });
      const filtered = await query({
        metrics: ["visitors", "conversion_rate"],
        filters: [["is", "goal", ["Visit /thank-you*"]]],
      });
      expect(filtered.results[0]?.metrics).toEqual([1, 25]);
    });

    test("a goal broken down by a property", async () => {
      const answer = await query({
        metrics: ["visitors", "events"],
        dimensions: ["event:props:plan"],
        filters: [["is", "event:goal", ["signup"]]],
      });
      expect(table(answer)).toEqual({ pro: [1, 1], free: [1, 1] });
    });

    test("past a property's daily cap of distinct values, the rest are (other)", async () => {
      at(DAY, "12:00:00");
      await send([
        custom("x1", "buy", { plan: "a" }, "props.test"),
        custom("x2", "buy", { plan: "b" }, "props.test"),
        custom("x3", "buy", { plan: "c" }, "props.test"),
        custom("x4", "buy", { plan: "a" }, "props.test"),
      ]);
      const answer = await query({
        site: "props.test",
        metrics: ["events"],
        dimensions: ["prop:plan"],
      });
      expect(table(answer)).toEqual({ a: [2], b: [1], "(other)": [1] });
    });

    test("page goals are listed, added once and removed", async () => {
      const list = await server.request(`/api/analytics/goals?site=${SHOP}`, { auth: true });
      const { goals } = (await list.json()) as { goals: { id: number; display_name: string }[] };
      expect(goals.map((goal) => goal.display_name)).toEqual(["Visit /thank-you*"]);
      const added = await server.request("/api/analytics/goals", {
        method: "POST",
        auth: true,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ site: SHOP, page_path: "/pricing" }),
      });
      const { goal } = (await added.json()) as { goal: { id: number } };
      const removed = await server.request(`/api/analytics/goals/${goal.id}`, {
        method: "DELETE",
        auth: true,
      });
      expect(removed.status).toBe(200);
      const again = await server.request(`/api/analytics/goals/${goal.id}`, {
        method: "DELETE",
        auth: true,
      });
      expect(again.status).toBe(404);
    });
  });

  describe("across a UTC midnight", () => {
    test("a tracker visitor counts once a day, a user id once over the range", async () => {
      const site = "return.test";
      at(DAY, "23:50:00");
      await collect(tracked(view("r1", "/", site)), "8.8.8.8");
      at(DAY, "23:55:00");
      await send(view("u1", "/", site, { user_id: "alice" }));
      at(NEXT_DAY, "00:40:00");
      await collect(tracked(view("r2", "/", site)), "8.8.8.8");
      at(NEXT_DAY, "00:45:00");
      await send(view("u2", "/", site, { user_id: "alice" }));
      const both = await query({
        site,
        date_range: [DAY, NEXT_DAY],
        metrics: ["visitors", "visits"],
      });
      expect(both.results[0]?.metrics).toEqual([3, 4]);
      const perDay = await query({
        site,
        date_range: [DAY, NEXT_DAY],
        metrics: ["visitors"],
        dimensions: ["time:day"],
      });
      expect(perDay.results).toEqual([
        { dimensions: [DAY], metrics: [2] },
        { dimensions: [NEXT_DAY], metrics: [2] },
      ]);
    });

    test("a range including today counts an event posted a moment before", async () => {
      at(NEXT_DAY, "01:00:00");
      await send(view("t1", "/now", SHOP));
      const first = await query({ date_range: "day", metrics: ["pageviews", "visits"] });
      expect(first.results[0]?.metrics).toEqual([1, 1]);
      at(NEXT_DAY, "01:00:01");
      await send(view("t1", "/now/again", SHOP));
      const second = await query({
        date_range: "7d",
        metrics: ["pageviews"],
        dimensions: ["page"],
      });
      expect(table(second)["/now/again"]).toEqual([1]);
      const today = await query({ date_range: "day", metrics: ["pageviews", "visit_duration"] });
      expect(today.results[0]?.metrics).toEqual([2, 1]);
    });

    test("GET /api/analytics/sites lists the sites seen, busiest today first", async () => {
      const response = await server.request("/api/analytics/sites", { auth: true });
      const { sites } = (await response.json()) as { sites: Body[] };
      expect(sites.map((site) => [site.site, site.visitors_today, site.pageviews_today])).toEqual([
        ["return.test", 2, 2],
        [SHOP, 1, 2],
        ["props.test", 0, 0],
      ]);
      expect(sites[0]?.last_seen).toBe(`${NEXT_DAY}T00:45:00.000Z`);
    });
  });

  describe("errors", () => {
    test("an unknown metric is a 400 naming it", async () => {
      const { status, body } = await ask({ site: SHOP, metrics: ["visitors", "bounces"] });
      expect(status).toBe(400);
      expect(body.code).toBe("validation_error");
      expect(body.message).toContain('"bounces"');
    });

    test("an unknown dimension, or filter dimension, is a 400 naming it", async () => {
      const dimension = await ask({ site: SHOP, metrics: ["visitors"], dimensions: ["planet"] });
      expect(dimension.status).toBe(400);
      expect(dimension.body.message).toContain('"planet"');
      const filter = await ask({
        site: SHOP,
        metrics: ["visitors"],
        filters: [["is", "moon", ["x"]]],
      });
      expect(filter.status).toBe(400);
      expect(filter.body.message).toContain('"moon"');
    });

    test("conversion_rate without a goal, a missing site and no token are refused", async () => {
      const rate = await ask({ site: SHOP, metrics: ["conversion_rate"] });
      expect(rate.status).toBe(400);
      expect(rate.body.message).toContain("goal");
      expect((await ask({ metrics: ["visitors"] })).status).toBe(400);
      const anonymous = await server.request("/api/analytics/query", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ site: SHOP, metrics: ["visitors"] }),
      });
      expect(anonymous.status).toBe(401);
    });
  });
});
