import { afterEach, describe, expect, test } from "bun:test";
import { pageview, startTestServer, type TestServer } from "../support/server.ts";

interface StorageStats {
  commits: number;
  events_committed: number;
  events_per_commit: number;
}

const servers: TestServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop();
});

function start(): TestServer {
  const server = startTestServer();
  servers.push(server);
  return server;
}

async function storageStats(server: TestServer): Promise<StorageStats> {
  const response = await server.request("/api/status", { auth: true });
  expect(response.status).toBe(200);
  return (await response.json()).data.storage;
}

describe("group commit", () => {
  test("single-event requests arriving together share transactions: far fewer commits than requests", async () => {
    const server = start();
    const before = await storageStats(server);
    const requests = 50;
    const responses = await Promise.all(
      Array.from({ length: requests }, (_, index) =>
        server.postEvent(pageview(`together-${index}`, `/p${index % 5}`)),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(requests).fill(201));

    const after = await storageStats(server);
    expect(after.events_committed - before.events_committed).toBe(requests);
    const commits = after.commits - before.commits;
    expect(commits).toBeGreaterThan(0);
    // One transaction per request would be 50; requests that land while the loop is busy join one.
    expect(commits).toBeLessThan(requests / 2);
    expect(after.events_per_commit).toBeGreaterThan(2);
  });

  test("a lone event on an idle server is acknowledged promptly, and committed by the time its 201 arrives", async () => {
    const server = start();
    // A fresh server has nothing waiting to commit: this event commits alone.
    const before = await storageStats(server);
    expect(before.commits).toBe(0);

    const sent = performance.now();
    const response = await server.postEvent(pageview("alone", "/alone"));
    const waited = performance.now() - sent;
    expect(response.status).toBe(201);
    // A generous bound: an idle server commits on the next turn, with no batching delay to wait out.
    expect(waited).toBeLessThan(2000);

    const after = await storageStats(server);
    expect(after.commits - before.commits).toBe(1);
    expect(after.events_committed - before.events_committed).toBe(1);
  });
});
