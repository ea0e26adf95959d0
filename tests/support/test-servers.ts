import { afterEach, expect } from "bun:test";
import { rmSync } from "node:fs";
import type { Socket } from "node:net";
import type { StartOptions } from "../../server.ts";
import { DashboardClient, startTestServer, type TestServer, temporaryDataDir } from "./server.ts";

/** What a test file starts (servers, dashboards, raw sockets, data directories), undone for it. */
export interface TestServers {
  /** A server on port 0; a short graceful phase keeps stop() quick when a client is slow to answer the close. */
  start(env?: Record<string, string>, options?: StartOptions): TestServer;
  /** Stops one server now (a restart), rather than with the others. */
  stop(server: TestServer): Promise<void>;
  /** A dashboard connected to `url`; every frame it receives must match the protocol's schema. */
  dashboard(url: string): Promise<DashboardClient>;
  /** A hand-made TCP client, destroyed before the servers stop. */
  rawSocket(socket: Socket): Socket;
  /** A temporary DATA_DIR, removed once the servers have stopped. */
  dataDir(): string;
}

/**
 * Tracks what the tests start and undoes it after each test (`afterEach`, or `afterAll` for what a
 * `beforeAll` starts): dashboards closed, their frames checked against the protocol, raw sockets
 * destroyed, servers stopped, data directories removed.
 */
export function useTestServers(
  after: (cleanup: () => Promise<void>) => void = afterEach,
): TestServers {
  const servers: TestServer[] = [];
  const dashboards: DashboardClient[] = [];
  const sockets: Socket[] = [];
  const dataDirs: string[] = [];

  after(async () => {
    for (const client of dashboards.splice(0)) {
      // Every frame a test received matched the protocol's schema.
      expect(client.protocolErrors).toEqual([]);
      client.close();
    }
    for (const socket of sockets.splice(0)) socket.destroy();
    await Promise.all(servers.splice(0).map((server) => server.stop()));
    for (const dir of dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  return {
    start(env = {}, options = {}) {
      const server = startTestServer({ SHUTDOWN_TIMEOUT_SECONDS: "0.5", ...env }, options);
      servers.push(server);
      return server;
    },
    async stop(server) {
      const index = servers.indexOf(server);
      if (index >= 0) servers.splice(index, 1);
      await server.stop();
    },
    async dashboard(url) {
      const client = await DashboardClient.connect(url);
      dashboards.push(client);
      return client;
    },
    rawSocket(socket) {
      sockets.push(socket);
      return socket;
    },
    dataDir() {
      const dir = temporaryDataDir();
      dataDirs.push(dir);
      return dir;
    },
  };
}

/** GETs `path` with the token, expects 200 and returns the body as text. */
export async function readText(server: TestServer, path: string): Promise<string> {
  const response = await server.request(path, { auth: true });
  expect(response.status).toBe(200);
  return response.text();
}
