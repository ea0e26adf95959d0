import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { ManualClock } from "../../services/clock.ts";
import { isBotUserAgent } from "../../services/enrich/bots.ts";
import { CountryLookup, isoCountry } from "../../services/enrich/country.ts";
import { DIRECT, sourceOf } from "../../services/enrich/source.ts";
import { parseUserAgent, UserAgentCache } from "../../services/enrich/user-agent.ts";
import { VisitorIds } from "../../services/enrich/visitor-id.ts";

const USER_AGENTS = {
  chrome:
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.91 Safari/537.36",
  firefox: "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
  safariIphone:
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
  edge: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.67",
  googlebot: "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
  headlessChrome:
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36",
  curl: "curl/8.5.0",
};

describe("bots", () => {
  test("crawlers, headless browsers, HTTP libraries and an empty User-Agent are bots", () => {
    for (const ua of [USER_AGENTS.googlebot, USER_AGENTS.headlessChrome, USER_AGENTS.curl]) {
      expect(isBotUserAgent(ua)).toBe(true);
    }
    expect(isBotUserAgent("")).toBe(true);
    expect(isBotUserAgent("   ")).toBe(true);
    expect(isBotUserAgent(undefined)).toBe(true);
    expect(isBotUserAgent("Bun/1.4.5")).toBe(true);
  });

  test("desktop and phone browsers are not bots", () => {
    for (const ua of [
      USER_AGENTS.chrome,
      USER_AGENTS.firefox,
      USER_AGENTS.safariIphone,
      USER_AGENTS.edge,
    ]) {
      expect(isBotUserAgent(ua)).toBe(false);
    }
  });
});

describe("the User-Agent's browser, OS and device class", () => {
  test("Chrome on Windows is a desktop, with major versions only", () => {
    expect(parseUserAgent(USER_AGENTS.chrome)).toEqual({
      browser: "Chrome",
      browser_version: "124",
      os: "Windows",
      os_version: "10",
      device: "desktop",
    });
  });

  test("Firefox on Linux names no OS version", () => {
    expect(parseUserAgent(USER_AGENTS.firefox)).toEqual({
      browser: "Firefox",
      browser_version: "125",
      os: "Linux",
      device: "desktop",
    });
  });

  test("Safari on an iPhone is a mobile on iOS", () => {
    expect(parseUserAgent(USER_AGENTS.safariIphone)).toEqual({
      browser: "Safari",
      browser_version: "17",
      os: "iOS",
      os_version: "17",
      device: "mobile",
    });
  });

  test("Edge is told apart from the Chrome it resembles", () => {
    expect(parseUserAgent(USER_AGENTS.edge)).toMatchObject({
      browser: "Microsoft Edge",
      browser_version: "124",
    });
  });

  test("the cache parses a User-Agent once and forgets the oldest past its capacity", () => {
    const cache = new UserAgentCache(2);
    const first = cache.parse(USER_AGENTS.chrome);
    expect(cache.parse(USER_AGENTS.chrome)).toBe(first);
    cache.parse(USER_AGENTS.firefox);
    cache.parse(USER_AGENTS.edge);
    expect(cache.size).toBe(2);
    expect(cache.parse(USER_AGENTS.chrome)).not.toBe(first);
    expect(cache.parse(USER_AGENTS.chrome)).toEqual(first);
  });

  test("tells bots as isBotUserAgent does, from the same cached entry", () => {
    const cache = new UserAgentCache(10);
    for (const ua of [USER_AGENTS.googlebot, USER_AGENTS.headlessChrome, "", "curl/8.5.0"])
      expect(cache.isBot(ua)).toBe(true);
    expect(cache.isBot(USER_AGENTS.chrome)).toBe(false);
    const size = cache.size;
    expect(cache.isBot(USER_AGENTS.chrome)).toBe(false);
    cache.parse(USER_AGENTS.chrome);
    expect(cache.size).toBe(size);
  });

  test("a User-Agent longer than the cache keeps is parsed but not kept", () => {
    const cache = new UserAgentCache(10, 200);
    const long = `${USER_AGENTS.chrome} ${"x".repeat(200)}`;
    expect(cache.parse(long)).toMatchObject({ browser: "Chrome" });
    expect(cache.size).toBe(0);
  });
});

describe("the country of an IP, from the shipped database", () => {
  const lookup = new CountryLookup();

  test("IPv4 addresses with well-known countries", () => {
    expect(lookup.locate("8.8.8.8")).toEqual({ country: "US" });
    expect(lookup.locate("81.2.69.142")).toEqual({ country: "GB" });
  });

  test("IPv6 addresses, and IPv4 mapped into IPv6", () => {
    expect(lookup.locate("2001:4860:4860::8888")).toEqual({ country: "US" });
    expect(lookup.locate("::ffff:81.2.69.142")).toEqual({ country: "GB" });
  });

  test("private, loopback and malformed addresses have none", () => {
    expect(lookup.locate("127.0.0.1")).toEqual({});
    expect(lookup.locate("10.1.2.3")).toEqual({});
    expect(lookup.locate("::1")).toEqual({});
    expect(lookup.locate("unknown")).toEqual({});
    expect(lookup.locate("999.1.1.1")).toEqual({});
  });

  test("a proxy's country header counts only as an ISO 3166-1 alpha-2 code", () => {
    expect(isoCountry("gb")).toBe("GB");
    expect(isoCountry(" DE ")).toBe("DE");
    expect(isoCountry("XX")).toBeUndefined();
    expect(isoCountry("T1")).toBeUndefined();
    expect(isoCountry("Germany")).toBeUndefined();
    expect(isoCountry(undefined)).toBeUndefined();
  });
});

describe("the visitor id", () => {
  test("is the same for one site, IP and User-Agent through a day, and differs otherwise", () => {
    const ids = new VisitorIds(new ManualClock(Date.UTC(2026, 0, 1, 0, 0, 1)));
    const id = ids.idFor("example.com", "203.0.113.7", USER_AGENTS.chrome);
    expect(id).toMatch(/^[\w-]{22}$/);
    expect(id).not.toContain("203.0.113.7");
    expect(ids.idFor("example.com", "203.0.113.7", USER_AGENTS.chrome)).toBe(id);
    expect(ids.idFor("example.com", "203.0.113.8", USER_AGENTS.chrome)).not.toBe(id);
    expect(ids.idFor("example.com", "203.0.113.7", USER_AGENTS.firefox)).not.toBe(id);
    expect(ids.idFor("other.example", "203.0.113.7", USER_AGENTS.chrome)).not.toBe(id);
  });

  test("changes at the clock's UTC midnight: the salt is replaced, not kept", () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 23, 59, 59));
    const salts: Buffer[] = [];
    const ids = new VisitorIds(clock, () => {
      const salt = Buffer.from([salts.length + 1]);
      salts.push(salt);
      return salt;
    });
    const before = ids.idFor("example.com", "203.0.113.7", USER_AGENTS.chrome);
    clock.advance(999);
    expect(ids.idFor("example.com", "203.0.113.7", USER_AGENTS.chrome)).toBe(before);
    clock.advance(1);
    const after = ids.idFor("example.com", "203.0.113.7", USER_AGENTS.chrome);
    expect(after).not.toBe(before);
    expect(salts).toHaveLength(2);
    expect(ids.idFor("example.com", "203.0.113.7", USER_AGENTS.chrome)).toBe(after);
  });
});

describe("the visitor id's hash", () => {
  test("is SHA-256 over the day's salt, the site, the IP and the User-Agent, first 22 base64url characters", () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
    const salt = Buffer.from("a salt of thirty-two bytes, ok!!");
    const ids = new VisitorIds(clock, () => salt);
    const expected = (ip: string) =>
      createHash("sha256")
        .update(salt)
        .update(`\0example.com\0${ip}\0${USER_AGENTS.chrome}`)
        .digest("base64url")
        .slice(0, 22);
    // Read repeatedly: each id starts again from the salt, not from the previous id's hash.
    for (const ip of ["203.0.113.7", "203.0.113.8", "203.0.113.7"]) {
      expect(ids.idFor("example.com", ip, USER_AGENTS.chrome)).toBe(expected(ip));
    }
  });

  test("a clock set back to an earlier day takes a new salt too", () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 2, 0, 0, 0));
    let salts = 0;
    const ids = new VisitorIds(clock, () => Buffer.from([++salts]));
    const today = ids.idFor("example.com", "203.0.113.7", USER_AGENTS.chrome);
    clock.set(Date.UTC(2026, 0, 1, 23, 59, 59));
    expect(ids.idFor("example.com", "203.0.113.7", USER_AGENTS.chrome)).not.toBe(today);
    expect(salts).toBe(2);
  });
});

describe("the source of a visit", () => {
  const site = ["example.com"];

  test("no referrer, a malformed one, or the site itself is Direct / None", () => {
    expect(sourceOf(undefined, site)).toBe(DIRECT);
    expect(sourceOf("", site)).toBe(DIRECT);
    expect(sourceOf("not a url", site)).toBe(DIRECT);
    expect(sourceOf("https://example.com/pricing", site)).toBe(DIRECT);
    expect(sourceOf("https://www.example.com/", site)).toBe(DIRECT);
    expect(sourceOf("http://localhost:3000/a", ["localhost:3000"])).toBe(DIRECT);
  });

  test("well-known search engines and social networks are named", () => {
    expect(sourceOf("https://www.google.com/", site)).toBe("Google");
    expect(sourceOf("https://www.google.co.uk/search?q=x", site)).toBe("Google");
    expect(sourceOf("https://www.bing.com/search?q=x", site)).toBe("Bing");
    expect(sourceOf("https://duckduckgo.com/", site)).toBe("DuckDuckGo");
    expect(sourceOf("https://t.co/abc", site)).toBe("Twitter");
    expect(sourceOf("https://l.facebook.com/l.php?u=x", site)).toBe("Facebook");
    expect(sourceOf("https://news.ycombinator.com/item?id=1", site)).toBe("Hacker News");
    expect(sourceOf("https://old.reddit.com/r/x", site)).toBe("Reddit");
  });

  test("names stay right however many referrer hosts came before", () => {
    for (let index = 0; index < 2500; index++) {
      expect(sourceOf(`https://blog-${index}.example.org/`, site)).toBe(
        `blog-${index}.example.org`,
      );
      if (index % 500 === 0) expect(sourceOf("https://www.google.de/", site)).toBe("Google");
    }
    expect(sourceOf("https://blog-7.example.org/", site)).toBe("blog-7.example.org");
    for (let round = 0; round < 3; round++) {
      expect(sourceOf("not a url", site)).toBe(DIRECT);
      expect(sourceOf("https://WWW.Example.com/a", site)).toBe(DIRECT);
      expect(sourceOf("http://localhost:3000/a", ["localhost:3000"])).toBe(DIRECT);
      expect(sourceOf("http://localhost:3000/a", site)).toBe("localhost");
    }
  });

  test("any other referrer is its host, without www.", () => {
    expect(sourceOf("https://www.some-blog.net/post/1?x=y", site)).toBe("some-blog.net");
    expect(sourceOf("https://docs.rs/crate", site)).toBe("docs.rs");
    // Not fooled by a look-alike host.
    expect(sourceOf("https://google.com.evil.example/", site)).toBe("google.com.evil.example");
  });
});
