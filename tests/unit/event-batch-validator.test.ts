import { describe, expect, test } from "bun:test";
import { eventInputSchema } from "../../schemas/event.ts";
import { fastEventInput, parseEventInput } from "../../schemas/event-batch-validator.ts";

/** A small deterministic generator, so a failure names a seed that reproduces it. */
function random(seed: number) {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

const ODD_STRINGS = [
  "",
  " ",
  "  padded  ",
  "\t/tabbed\n",
  "nul\u0000inside",
  "del\u007f",
  "zero\u200bwidth",
  "bidi\u202eoverride",
  "\ufeffbom",
  "lone \ud800 surrogate",
  "emoji 😀",
  "x".repeat(64),
  "x".repeat(65),
  "x".repeat(128),
  "x".repeat(129),
  "y".repeat(256),
  "y".repeat(257),
  "z".repeat(512),
  "z".repeat(513),
  "w".repeat(1024),
  "w".repeat(1025),
  "https://shop.example/products/1?q=1#top",
  "/products/1",
  "products",
  "2026-12-01T10:00:00Z",
  "2026-12-01T10:00:00+02:00",
  "not a date",
];
const ODD_VALUES: unknown[] = [
  ...ODD_STRINGS,
  0,
  -1.5,
  true,
  false,
  null,
  undefined,
  [],
  ["a"],
  {},
  { nested: 1 },
];
const FIELDS = [
  "type",
  "name",
  "page",
  "session_id",
  "sessionId",
  "timestamp",
  "country",
  "site",
  "user_id",
  "title",
  "metadata",
  "utm_source",
  "utm_medium",
  "utm_campaign",
  "utm_content",
  "utm_term",
  "unknown_field",
];

function typicalEvent(next: () => number): Record<string, unknown> {
  const event: Record<string, unknown> = {
    type: ["pageview", "click", "custom", "session_end"][Math.floor(next() * 4)],
    page: `/products/${Math.floor(next() * 1000)}`,
    session_id: `session-${Math.floor(next() * 1e6)}`,
  };
  if (next() < 0.5) event.name = "signup";
  if (next() < 0.5) event.site = "shop.example";
  if (next() < 0.5) event.country = "DE";
  if (next() < 0.3) event.title = "Product page";
  if (next() < 0.3) event.utm_source = "newsletter";
  if (next() < 0.6) {
    event.metadata = { device: "mobile", referrer: "https://www.google.com/", plan: "pro", n: 3 };
  }
  return event;
}

function pick<T>(next: () => number, list: readonly T[]): T {
  return list[Math.floor(next() * list.length)] as T;
}

/** A typical event with a few fields (or metadata entries) replaced by odd values. */
function mutatedEvent(next: () => number): unknown {
  const event = typicalEvent(next);
  const changes = 1 + Math.floor(next() * 3);
  for (let change = 0; change < changes; change++) {
    const where = next();
    if (where < 0.6) event[pick(next, FIELDS)] = pick(next, ODD_VALUES);
    else if (where < 0.7) delete event[pick(next, FIELDS)];
    else {
      const current = event.metadata;
      const metadata = (
        current !== null && typeof current === "object" && !Array.isArray(current) ? current : {}
      ) as Record<string, unknown>;
      const key = pick(next, ["device", "referrer", "plan", "__proto__", ...ODD_STRINGS]);
      // An own key, as JSON.parse makes it (even `__proto__`).
      Object.defineProperty(metadata, key, {
        value: pick(next, ODD_VALUES),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      event.metadata = metadata;
    }
  }
  if (next() < 0.05) {
    const metadata: Record<string, unknown> = {};
    for (let index = 0; index < 29 + Math.floor(next() * 4); index++) metadata[`k${index}`] = index;
    event.metadata = metadata;
  }
  if (next() < 0.02) return pick(next, [null, "event", 3, [event]]);
  return event;
}

function expectSameAnswer(value: unknown) {
  const schema = eventInputSchema.safeParse(value);
  const fast = fastEventInput(value);
  if (fast !== undefined) {
    expect(schema.success).toBe(true);
    expect(fast).toStrictEqual(schema.data as typeof fast);
    expect(Object.keys(fast)).toEqual(Object.keys(schema.data ?? {}));
    if (schema.data?.metadata) expect(Object.getPrototypeOf(fast.metadata)).toBeNull();
  }
  const answered = parseEventInput(value);
  expect(answered.success).toBe(schema.success);
  if (schema.success) expect(answered.data).toStrictEqual(schema.data);
  else expect(answered.error?.issues).toEqual(schema.error.issues);
  return fast !== undefined;
}

describe("the compiled event validator", () => {
  test("answers exactly as the schema for typical events, and vouches for them itself", () => {
    const next = random(1);
    let vouched = 0;
    for (let index = 0; index < 2000; index++) if (expectSameAnswer(typicalEvent(next))) vouched++;
    // Only the rare custom event without a name is left to the schema (to refuse).
    expect(vouched).toBeGreaterThan(1600);
  });

  test("answers exactly as the schema for borderline and hostile events", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const next = random(seed * 7919);
      for (let index = 0; index < 500; index++) expectSameAnswer(mutatedEvent(next));
    }
  });

  test("leaves every string the schema would clean or refuse to the schema", () => {
    expect(expectSameAnswer({ type: "pageview", page: "  /padded  ", session_id: "s" })).toBe(true);
    for (const odd of ["/a\u200b", "/a\ud800", "/a\u0000"]) {
      expect(fastEventInput({ type: "pageview", page: odd, session_id: "s" })).toBeUndefined();
      expectSameAnswer({ type: "pageview", page: odd, session_id: "s" });
      expectSameAnswer({ type: "pageview", page: "/", session_id: "s", title: odd });
      expectSameAnswer({ type: "pageview", page: "/", session_id: "s", metadata: { device: odd } });
    }
  });

  test("keeps a __proto__ metadata key as an ordinary one, as the schema does", () => {
    const value = JSON.parse(
      '{"type":"pageview","page":"/","session_id":"s","metadata":{"__proto__":"x","a":1}}',
    );
    expect(expectSameAnswer(value)).toBe(true);
    expect(Object.keys(fastEventInput(value)?.metadata ?? {})).toEqual(["__proto__", "a"]);
  });
});
