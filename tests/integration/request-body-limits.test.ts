import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { pageview, type TestServer } from "../support/server.ts";
import { useTestServers } from "../support/test-servers.ts";

const MAX_BATCH_BYTES = 8192;
const encoder = new TextEncoder();

/** A body sent chunked (no Content-Length): each part after `pauseMs`, then the end. */
function chunkedBody(parts: string[], pauseMs = 0): ReadableStream<Uint8Array> {
  return new ReadableStream({
    async start(controller) {
      for (const part of parts) {
        if (pauseMs > 0) await Bun.sleep(pauseMs);
        controller.enqueue(encoder.encode(part));
      }
      controller.close();
    },
  });
}

/** Raw bytes over TCP; resolves with what the server answered: a whole error body, its close or `waitMs`. */
async function rawExchange(url: string, chunks: string[], waitMs: number): Promise<string> {
  const { hostname, port } = new URL(url);
  let answer = "";
  const { promise: ended, resolve } = Promise.withResolvers<void>();
  const socket = await Bun.connect({
    hostname,
    port: Number(port),
    socket: {
      data(_socket, data) {
        answer += new TextDecoder().decode(data);
        if (answer.trimEnd().endsWith("}")) resolve();
      },
      close: () => resolve(),
      error: () => resolve(),
    },
  });
  for (const chunk of chunks) socket.write(chunk);
  socket.flush();
  await Promise.race([ended, Bun.sleep(waitMs)]);
  socket.end();
  return answer;
}

function rawPost(path: string, headers: string[]): string {
  return [`POST ${path} HTTP/1.1`, "Host: 127.0.0.1", ...headers, "", ""].join("\r\n");
}

describe("an ingestion body's limits", () => {
  const running = useTestServers(afterAll);
  let server: TestServer;
  beforeAll(() => {
    server = running.start({
      MAX_BATCH_EVENTS: "5",
      MAX_EVENT_BYTES: "2048",
      MAX_BATCH_BYTES: String(MAX_BATCH_BYTES),
      REQUEST_BODY_TIMEOUT_SECONDS: "0.5",
    });
  });

  const postChunked = (path: string, body: ReadableStream<Uint8Array>) =>
    server.request(path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      duplex: "half",
    } as RequestInit);

  test("a chunked body within the limit is accepted on /api/events and /api/collect", async () => {
    const json = JSON.stringify(pageview("chunked-1"));
    const events = await postChunked(
      "/api/events",
      chunkedBody([json.slice(0, 10), json.slice(10)], 5),
    );
    expect(events.status).toBe(201);
    expect((await events.json()).data.session_id).toBe("chunked-1");
    const collect = await postChunked("/api/collect", chunkedBody([json]));
    expect(collect.status).toBe(202);
  });

  test("a chunked body over MAX_BATCH_BYTES is 413 payload_too_large, and the server keeps serving", async () => {
    const big = JSON.stringify([pageview("chunked-big", "/", { title: "z".repeat(9000) })]);
    const response = await postChunked(
      "/api/events",
      chunkedBody([big.slice(0, 4000), big.slice(4000)]),
    );
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({
      success: false,
      code: "payload_too_large",
      details: { max_bytes: MAX_BATCH_BYTES },
    });
    expect((await server.postEvent(pageview("after-chunked-big"))).status).toBe(201);
  });

  test("a Content-Length over MAX_BATCH_BYTES is refused with 413 before the body is sent", async () => {
    const head = rawPost("/api/events", [
      "Content-Type: application/json",
      `Content-Length: ${MAX_BATCH_BYTES + 1}`,
    ]);
    // No body at all: the answer cannot wait for it (that would be the 408 after 0.5 s).
    const answer = await rawExchange(server.url, [head], 3000);
    expect(answer.split("\r\n")[0]).toBe("HTTP/1.1 413 Payload Too Large");
    expect(answer).toContain('"code":"payload_too_large"');
  });

  test("a chunked body that stops arriving is 408 request_timeout", async () => {
    const head = rawPost("/api/events", [
      "Content-Type: application/json",
      "Transfer-Encoding: chunked",
    ]);
    const answer = await rawExchange(server.url, [head, '5\r\n[{"ty\r\n'], 5000);
    expect(answer.split("\r\n")[0]).toBe("HTTP/1.1 408 Request Timeout");
    expect(answer).toContain('"code":"request_timeout"');
    expect(answer.toLowerCase()).toContain("connection: close");
    expect((await server.postEvent(pageview("after-chunked-slow"))).status).toBe(201);
  });

  test("a body with a byte order mark is read as JSON, sized or chunked", async () => {
    const json = `\uFEFF${JSON.stringify(pageview("bom-1"))}`;
    const sized = await server.postEvent(json, { contentType: "text/plain" });
    expect(sized.status).toBe(201);
    const chunked = await postChunked("/api/events", chunkedBody([json]));
    expect(chunked.status).toBe(201);
  });

  test("an empty body is 400 validation_error, sized or chunked", async () => {
    const sized = await server.postEvent("");
    expect(sized.status).toBe(400);
    expect((await sized.json()).code).toBe("validation_error");
    const chunked = await postChunked("/api/events", chunkedBody([]));
    expect(chunked.status).toBe(400);
  });
});
