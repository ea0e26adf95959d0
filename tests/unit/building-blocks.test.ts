import { describe, expect, test } from "bun:test";
import { eventInputSchema } from "../../schemas/event.ts";
import { CompatCounters } from "../../services/compat-counters.ts";
import { CounterCube } from "../../services/counter-cube.ts";
import { splitPage, toVisitorEvent } from "../../services/event-normalizer.ts";
import { toEventView } from "../../services/event-view.ts";
import { KeyCap, OTHER } from "../../services/key-cap.ts";
import { RecencyList } from "../../services/recency-list.ts";
import { DistinctWindow, RateWindow, RecentItems } from "../../services/sliding-windows.ts";
import { StringPool } from "../../services/string-pool.ts";

describe("CounterCube", () => {
  test("every combination of site, country and page answers with one lookup", () => {
    const cube = new CounterCube();
    cube.add({ site: "a", country: "ES", page: "/x" }, 2);
    cube.add({ site: "a", country: "FR", page: "/x" }, 1);
    cube.add({ site: "b", country: "ES", page: "/y" }, 1);
    expect(cube.get({})).toBe(4);
    expect(cube.get({ site: "a" })).toBe(3);
    expect(cube.get({ country: "ES" })).toBe(3);
    expect(cube.get({ page: "/x" })).toBe(3);
    expect(cube.get({ site: "a", country: "ES", page: "/x" })).toBe(2);
    expect(cube.get({ site: "b", page: "/x" })).toBe(0);
    expect(Object.fromEntries(cube.pages({ country: "ES" }))).toEqual({ "/x": 2, "/y": 1 });
  });

  test("its top pages are the most counted, ties by name, at every level as counts grow", () => {
    const size = 4;
    const cube = new CounterCube({ topPages: size });
    const full = new CounterCube();
    let seed = 7;
    const random = (below: number) => {
      seed = (seed * 48271) % 2147483647;
      return seed % below;
    };
    const filters = [{}, { site: "a" }, { country: "ES" }, { site: "b", country: "FR" }];
    for (let step = 0; step < 3000; step++) {
      const dimensions = {
        site: ["a", "b"][random(2)] as string,
        country: ["ES", "FR", "DE"][random(3)] as string,
        page: random(8) === 0 ? OTHER : `/p${random(12)}`,
      };
      const delta = 1 + random(3);
      cube.add(dimensions, delta);
      full.add(dimensions, delta);
      for (const filter of filters) {
        const expected = [...full.pages(filter)]
          .filter(([page]) => page !== OTHER)
          .sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))
          .slice(0, size);
        expect(cube.topPages(filter)).toEqual(expected);
      }
    }
  });

  test("(other) is never one of the top pages", () => {
    const cube = new CounterCube({ topPages: 2 });
    cube.add({ site: "a", country: "ES", page: OTHER }, 5);
    cube.add({ site: "a", country: "ES", page: "/x" }, 1);
    expect(cube.topPages({})).toEqual([["/x", 1]]);
    expect(cube.distinctPages({})).toBe(1);
    // Past two pages with (other) among them the list has room for one more.
    cube.add({ site: "a", country: "ES", page: "/y" }, 1);
    cube.add({ site: "a", country: "ES", page: "/a" }, 1);
    expect(cube.topPages({})).toEqual([
      ["/a", 1],
      ["/x", 1],
    ]);
    cube.add({ site: "a", country: "ES", page: "/y" }, 1);
    expect(cube.topPages({})).toEqual([
      ["/y", 2],
      ["/a", 1],
    ]);
  });

  test("counts that fall back to zero leave nothing behind", () => {
    const cube = new CounterCube();
    cube.add({ site: "a", country: "ES", page: "/x" }, 1);
    cube.add({ site: "a", country: "ES", page: "/x" }, -1);
    expect(cube.get({})).toBe(0);
    expect([...cube.exactEntries()]).toEqual([]);
    expect([...cube.pages({})]).toEqual([]);
  });
});

describe("KeyCap", () => {
  test("admits keys up to its limit, folds the rest into (other), and keeps admitting known keys", () => {
    const cap = new KeyCap(2);
    expect(["a", "b", "c", "a", "d"].map((key) => cap.admit(key))).toEqual([
      "a",
      "b",
      OTHER,
      "a",
      OTHER,
    ]);
    expect(cap.size).toBe(2);
  });

  test("admits keys up to its byte budget too, counting a key's UTF-8 bytes once", () => {
    const cap = new KeyCap(100, 10);
    expect(["abcd", "éé", "abcd", "xyz", "w", "v"].map((key) => cap.admit(key))).toEqual([
      "abcd",
      "éé",
      "abcd",
      OTHER,
      "w",
      "v",
    ]);
    expect(cap.bytes).toBe(10);
    cap.restore(["abcdefghij"]);
    expect(cap.bytes).toBe(10);
    expect(cap.admit("k")).toBe(OTHER);
  });
});

describe("StringPool", () => {
  // Sharing one instance is not observable from JavaScript (strings compare by value); the
  // memory it saves is measured by bench/scale.ts. Here: values are kept, each distinct string
  // is counted once, and it is let go when its last holder releases it.
  test("interned strings keep their value, are counted once, and go with their last holder", () => {
    const pool = new StringPool();
    for (const page of ["/pricing", "/docs", "/pricing", "/pricing"]) {
      expect(pool.intern(page)).toBe(page);
    }
    expect(pool.size).toBe(2);
    const bytes = pool.bytes;
    expect(bytes).toBeGreaterThanOrEqual(2 * ("/pricing".length + "/docs".length));
    pool.release("/pricing");
    pool.release("/pricing");
    expect(pool.size).toBe(2);
    expect(pool.bytes).toBe(bytes);
    pool.release("/pricing");
    pool.release("/docs");
    expect(pool.size).toBe(0);
    expect(pool.bytes).toBe(0);
  });
});

describe("RecencyList", () => {
  test("keeps keys in order of last touch with the oldest at hand", () => {
    const list = new RecencyList<number>();
    list.touch("a", 1);
    list.touch("b", 2);
    list.touch("c", 3);
    list.touch("a", 4);
    expect(list.oldestKey()).toBe("b");
    expect([...list.newestFirst()]).toEqual([4, 3, 2]);
    list.delete("b");
    expect([...list.oldestFirst()]).toEqual([
      ["c", 3],
      ["a", 4],
    ]);
    expect(list.size).toBe(2);
  });

  test("finding the oldest stays cheap after many re-touches (no walk past deleted slots)", () => {
    const list = new RecencyList<number>();
    for (let index = 0; index < 1000; index++) list.touch(`k${index}`, index);
    for (let round = 0; round < 50_000; round++) list.touch(`k${round % 1000}`, round);
    expect(list.oldestKey()).toBe("k0");
    expect(list.size).toBe(1000);
  });
});

describe("windows", () => {
  test("the last minute's window forgets on each event what left it, so it holds only the last minute even with no tick (a replay)", () => {
    const window = new DistinctWindow(60_000, 1_000_000);
    for (let second = 0; second < 600; second++) window.touch(`visitor-${second}`, second * 1000);
    expect(window.exportState()).toHaveLength(60);
    expect(window.count(599_000)).toBe(60);
    expect(window.count(700_000)).toBe(0);
    expect(window.exportState()).toHaveLength(60);
  });

  test("the rate window sums the last 60 seconds only", () => {
    const rate = new RateWindow();
    rate.record(0, 5);
    rate.record(30_000, 3);
    expect(rate.total(59_999)).toBe(8);
    expect(rate.total(60_000)).toBe(3);
    expect(rate.total(200_000)).toBe(0);
  });

  test("recent items keep the newest, newest first", () => {
    const recent = new RecentItems<number>(3);
    for (const value of [1, 2, 3, 4, 5]) recent.push(value);
    expect(recent.newestFirst()).toEqual([5, 4, 3]);
  });
});

describe("events", () => {
  test("a full URL is reduced to its path, the host kept, query and fragment dropped", () => {
    expect(splitPage("https://shop.example:8443/cart?token=secret#top")).toEqual({
      page: "/cart",
      host: "shop.example:8443",
    });
    expect(splitPage("products")).toEqual({ page: "/products" });
    expect(splitPage("/a/b")).toEqual({ page: "/a/b" });
  });

  test("defaults and aliases are applied, device and referrer read from metadata, which stays as sent", () => {
    const event = toVisitorEvent(
      {
        type: "pageview",
        page: "/",
        sessionId: "s",
        metadata: { device: "mobile", referrer: "x.example", plan: "pro" },
      },
      Date.UTC(2026, 0, 1),
    );
    expect(event).toMatchObject({
      session_id: "s",
      site: "default",
      country: "unknown",
      device: "mobile",
      referrer: "x.example",
    });
    expect(event.metadata).toEqual({ device: "mobile", referrer: "x.example", plan: "pro" });
    expect(event.received_at).toBe("2026-01-01T00:00:00.000Z");
    expect(event.timestamp).toBeNull();
    expect(toEventView(event).timestamp).toBe("2026-01-01T00:00:00.000Z");
  });

  test("the schema refuses what the contract refuses", () => {
    const valid = { type: "pageview", page: "/", session_id: "s" };
    const refused = [
      { ...valid, type: "teleport" },
      { type: "custom", page: "/", session_id: "s" },
      { type: "pageview", page: "/" },
      { ...valid, page: `/${"x".repeat(2048)}` },
      { ...valid, session_id: "s".repeat(129) },
      { ...valid, timestamp: "2026-01-01T10:00:00" },
      { ...valid, page: "/a\u0000b" },
      {
        ...valid,
        metadata: Object.fromEntries(
          Array.from({ length: 31 }, (_, index) => [`p${index}`, index]),
        ),
      },
      { ...valid, metadata: { nested: { no: true } } },
    ];
    expect(eventInputSchema.safeParse(valid).success).toBe(true);
    expect(
      eventInputSchema.safeParse({ ...valid, timestamp: "2026-01-01T10:00:00+02:00" }).success,
    ).toBe(true);
    for (const event of refused) expect(eventInputSchema.safeParse(event).success).toBe(false);
  });
});

describe("CompatCounters", () => {
  function counters(maxKeys = 100) {
    const compat = new CompatCounters(maxKeys);
    let position = 0;
    const visit = (
      customer: string | undefined,
      device: string,
      site = "w",
      country = "unknown",
    ) => {
      const event = toVisitorEvent(
        {
          type: "pageview",
          page: "/",
          session_id: `${customer}:${device}`,
          site,
          country,
          user_id: customer,
          metadata: { device_id: device },
        },
        0,
      );
      position++;
      compat.apply({
        now: 0,
        committed: { position, event, receivedAt: 0 },
        ended: [],
        alerts: [],
      });
    };
    return { compat, visit };
  }

  test("counts a customer's visits per site across devices, and each site's customers", () => {
    const { compat, visit } = counters();
    visit("c1", "phone");
    visit("c1", "laptop");
    visit("c1", "phone");
    visit("c2", "phone");
    visit("c1", "phone", "other-site");
    expect(compat.customerVisits("w", "c1")).toEqual({ count: 3, devices: 2 });
    expect(compat.siteVisits("w")).toEqual({ count: 4, unique_customers: 2 });
  });

  test("counts pageviews by two-letter country code, lower-cased", () => {
    const { compat, visit } = counters();
    visit(undefined, "d", "w", "ES");
    visit(undefined, "d", "w", "es");
    visit(undefined, "d", "w", "India");
    expect(compat.countryVisits()).toEqual({ es: 2 });
  });

  test("what it remembers is capped; visits are still counted", () => {
    const { compat, visit } = counters(3);
    for (let index = 0; index < 10; index++) visit(`c${index}`, `d${index}`);
    expect(compat.fill().remembered).toBeLessThanOrEqual(3);
    expect(compat.siteVisits("w").count).toBe(10);
  });
});
