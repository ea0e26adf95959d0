import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { pageview, startTestServer, type TestServer } from "../support/server.ts";
import { useTestServers } from "../support/test-servers.ts";

interface StoredEvent {
  session_id: string;
  page: string;
  title?: string;
  referrer?: string;
  metadata: Record<string, unknown>;
}

const MAX_EVENT_BYTES = 2048;

/** The own `__proto__` property JSON.parse creates (the accessor would read the prototype). */
const ownProto = (object: object) => Object.getOwnPropertyDescriptor(object, "__proto__")?.value;

async function recentEvents(server: TestServer): Promise<StoredEvent[]> {
  const body = await (await server.request("/api/analytics/detailed", { auth: true })).json();
  return body.data.recent_events;
}

async function storedEvent(server: TestServer, sessionId: string): Promise<StoredEvent> {
  const event = (await recentEvents(server)).find((e) => e.session_id === sessionId);
  if (!event) throw new Error(`no stored event for ${sessionId}`);
  return event;
}

describe("sizes: metadata keys and the events of a batch", () => {
  let server: TestServer;
  beforeAll(() => {
    server = startTestServer({
      MAX_EVENT_BYTES: String(MAX_EVENT_BYTES),
      MAX_BATCH_BYTES: "65536",
      MAX_BATCH_EVENTS: "500",
    });
  });
  afterAll(() => server.stop());

  test("a metadata key of 64 characters is accepted and one of 65 is 400 validation_error", async () => {
    const ok = await server.postEvent(
      pageview("key-64", "/", { metadata: { ["k".repeat(64)]: 1 } }),
    );
    expect(ok.status).toBe(201);
    const long = await server.postEvent(
      pageview("key-65", "/", { metadata: { ["k".repeat(65)]: 1 } }),
    );
    expect(long.status).toBe(400);
    const body = await long.json();
    expect(body.code).toBe("validation_error");
    expect(JSON.stringify(body.details)).toContain("64");
  });

  test("an event over MAX_EVENT_BYTES inside a batch is 413 naming its index, as it is alone", async () => {
    const big = pageview("big-1", "/", {
      metadata: { note: "x".repeat(1000), other: "y".repeat(1000) },
    });
    const alone = await server.postEvent(big);
    expect(alone.status).toBe(413);
    const batch = await server.postEvent([pageview("small-1"), big, pageview("small-2")]);
    expect(batch.status).toBe(413);
    const body = await batch.json();
    expect(body.code).toBe("payload_too_large");
    expect(body.details).toMatchObject({ max_bytes: MAX_EVENT_BYTES, indexes: [1] });
    expect(body.message).toContain("1");
    // Refused whole: the small events were not kept either.
    expect((await recentEvents(server)).some((e) => e.session_id === "small-1")).toBe(false);
  });

  test("a long metadata key inside a batch cannot make it past the per-event limit", async () => {
    const event = pageview("long-key", "/", { metadata: { ["k".repeat(4000)]: 1 } });
    const response = await server.postEvent([event]);
    expect(response.status).toBe(413);
  });

  test("a refused batch of many bad events answers a bounded error with the total count", async () => {
    const bad = Array.from({ length: 500 }, () => ({
      type: "nope",
      page: "",
      metadata: { a: {} },
    }));
    const response = await server.postEvent(bad);
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(text.length).toBeLessThan(8 * 1024);
    const body = JSON.parse(text);
    expect(body.code).toBe("validation_error");
    expect(body.details).toHaveLength(20);
    expect(body.total_issues).toBeGreaterThanOrEqual(1500);
    expect(body.message).toContain(`and ${body.total_issues - 20} more`);
    expect(body.details[0].path).toMatch(/^0\./);
  });

  test("a path naming a huge key is shortened in the error", async () => {
    const response = await server.postEvent(
      pageview("huge-key", "/", { metadata: { ["k".repeat(1500)]: { nested: true } } }),
    );
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(text.length).toBeLessThan(1024);
  });
});

const { start, stop, dataDir: temporaryDataDir } = useTestServers();

describe("ill-formed and invisible characters", () => {
  test("lone surrogates are replaced by U+FFFD before counting, so a restart answers the same", async () => {
    const dataDir = temporaryDataDir();
    let server = start({ DATA_DIR: dataDir });
    expect((await server.postEvent(pageview("lone\ud800", "/lone\ud800"))).status).toBe(201);
    expect((await server.postEvent(pageview("lone\udbff", "/lone\udfff"))).status).toBe(201);
    const summary = async () =>
      (await (await server.request("/api/analytics/summary", { auth: true })).json()).data.summary;
    const live = await summary();
    expect(live.pages_visited).toEqual({ "/lone\ufffd": 2 });
    expect(live.total_active).toBe(1);
    await stop(server);
    server = start({ DATA_DIR: dataDir });
    expect(await summary()).toEqual(live);
  });

  describe("on one server", () => {
    let server: TestServer;
    beforeAll(() => {
      server = startTestServer();
    });
    afterAll(() => server.stop());

    const FORMAT_CHARACTERS = ["\u200b", "\u200d", "\u202e", "\u2066", "\ufeff", "\u00ad"];

    for (const field of ["site", "country", "page", "session_id"]) {
      test(`a ${field} with an invisible format character is 400`, async () => {
        for (const character of FORMAT_CHARACTERS) {
          const event = { ...pageview("fmt-ok", "/fmt"), [field]: `/a${character}b` };
          const response = await server.postEvent(event);
          expect(response.status).toBe(400);
          const body = await response.json();
          expect(body.details[0].path).toBe(field);
        }
      });
    }

    test("a metadata key with a control or format character is 400", async () => {
      for (const key of ["a\u0000b", "a\u202eb", "a\u200bb"]) {
        const response = await server.postEvent(
          pageview("key-fmt", "/", { metadata: { [key]: 1 } }),
        );
        expect(response.status).toBe(400);
      }
    });

    test("NUL and other C0 controls are removed from metadata values, title and referrer", async () => {
      const response = await server.postEvent(
        pageview("c0-1", "/c0", {
          title: "Ti\u0000tle\u0007",
          metadata: {
            referrer: "https://a.example/\u0000x",
            note: "a\u0000b\u001bc",
            line: "a\tb",
          },
        }),
      );
      expect(response.status).toBe(201);
      const stored = await storedEvent(server, "c0-1");
      expect(stored.title).toBe("Title");
      expect(stored.referrer).toBe("https://a.example/x");
      expect(stored.metadata.note).toBe("abc");
      expect(stored.metadata.line).toBe("a\tb");
    });

    test("ordinary non-ASCII text is kept as sent", async () => {
      const response = await server.postEvent(
        pageview("intl-1", "/café", { title: "Ünïcödé ✓ 👩‍💻", country: "Türkiye" }),
      );
      expect(response.status).toBe(201);
      expect((await storedEvent(server, "intl-1")).title).toBe("Ünïcödé ✓ 👩‍💻");
    });
  });
});

describe("__proto__", () => {
  let server: TestServer;
  beforeAll(() => {
    server = startTestServer();
  });
  afterAll(() => server.stop());

  test("a __proto__ metadata key is kept like any other, and __proto__ as a country is accepted", async () => {
    const body = `{"type":"pageview","page":"/proto","session_id":"proto-1","country":"__proto__","metadata":{"__proto__":"kept","device":"mobile","plan":"pro"}}`;
    const response = await server.postEvent(body);
    expect(response.status).toBe(201);
    const stored = await storedEvent(server, "proto-1");
    expect(Object.hasOwn(stored.metadata, "__proto__")).toBe(true);
    expect(ownProto(stored.metadata)).toBe("kept");
    expect(stored.metadata.plan).toBe("pro");
    expect(stored.page).toBe("/proto");
  });

  test("a __proto__ metadata key with an object value is 400, as any other key's would be", async () => {
    const proto = await server.postEvent(
      `{"type":"pageview","page":"/","session_id":"proto-2","metadata":{"__proto__":{"x":1}}}`,
    );
    expect(proto.status).toBe(400);
    const other = await server.postEvent(
      `{"type":"pageview","page":"/","session_id":"proto-3","metadata":{"other":{"x":1}}}`,
    );
    expect(other.status).toBe(400);
  });

  test("__proto__ in a batch is kept too", async () => {
    const body = `[{"type":"pageview","page":"/p","session_id":"proto-4","metadata":{"__proto__":1}}]`;
    expect((await server.postEvent(body)).status).toBe(201);
    expect(ownProto((await storedEvent(server, "proto-4")).metadata)).toBe(1);
  });
});
