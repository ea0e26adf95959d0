import { rmSync } from "node:fs";
import type { Server } from "bun";
import { loadConfig } from "../../config/index.ts";
import { type AppOptions, alertingOf, createApp } from "../../routes/app.ts";
import {
  dashboardSocketHandler,
  upgradeDashboard,
  WEBSOCKET_PATH,
} from "../../routes/websocket.ts";
import type { AlertingService } from "../../services/alerting/alerting-service.ts";
import { type Clock, ManualClock, systemClock } from "../../services/clock.ts";
import { createServices, type Services } from "../../services/container.ts";
import { createLogger } from "../../services/logger.ts";
import type { DashboardSocketData } from "../../services/realtime-hub.ts";
import { TEST_TOKEN, temporaryDataDir } from "./server.ts";

/** A request a receiver got: its headers and body as sent. */
export interface Received {
  headers: Headers;
  body: string;
  at: number;
}

/**
 * A real HTTP receiver on port 0 that answers each request with the next of `answers` (then
 * 200), records what it got, and can hang instead of answering (`"hang"`: a timeout).
 */
export function startReceiver(answers: (number | "hang")[] = []) {
  const received: Received[] = [];
  const queue = [...answers];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      const body = await request.text();
      received.push({ headers: request.headers, body, at: Date.now() });
      const answer = queue.shift() ?? 200;
      if (answer === "hang") {
        await Bun.sleep(3_000);
        return new Response("late");
      }
      return new Response(answer < 300 ? "ok" : "receiver says no", { status: answer });
    },
  });
  return {
    server,
    received,
    url: `http://127.0.0.1:${server.port}/hook`,
    stop: () => server.stop(true),
  };
}

export interface AlertingServer {
  services: Services;
  alerting: AlertingService;
  /** Moved by hand (a ManualClock, or the clock given), unless started on the system clock. */
  clock: ManualClock;
  url: string;
  wsUrl: string;
  request(path: string, init?: RequestInit): Promise<Response>;
  json<T = Record<string, unknown>>(
    path: string,
    method?: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }>;
  stop(): Promise<void>;
}

/**
 * The server as server.ts serves it (HTTP through createApp, /ws upgraded first) on a manual
 * clock, with alerting options of the test's own (127.0.0.1 receivers allowed unless said).
 */
export function startAlertingServer(
  options: AppOptions = {},
  env: Record<string, string> = {},
  start: number | "system" | Clock = Date.UTC(2026, 5, 1, 9, 0, 0),
): AlertingServer {
  const dataDir = env.DATA_DIR ?? temporaryDataDir();
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    API_TOKEN: TEST_TOKEN,
    DATA_DIR: dataDir,
    LOG_LEVEL: "silent",
    NODE_ENV: "test",
    RATE_LIMIT_PER_MINUTE: "0",
    ...env,
  });
  // On the system clock, retries come by themselves (`clock` is then not to be moved).
  const clock: Clock =
    start === "system" ? systemClock : typeof start === "number" ? new ManualClock(start) : start;
  const services = createServices(config, TEST_TOKEN, createLogger("silent"), clock);
  const app = createApp(services, {
    ...options,
    alerting: { allowPrivateWebhooks: true, tickMs: 3_600_000, pollMs: 20, ...options.alerting },
  });
  const server: Server<DashboardSocketData> = Bun.serve<DashboardSocketData>({
    port: 0,
    hostname: "127.0.0.1",
    fetch(request, bunServer) {
      if (new URL(request.url).pathname === WEBSOCKET_PATH) {
        return upgradeDashboard(request, bunServer, services);
      }
      return app.fetch(request, { server: bunServer });
    },
    websocket: dashboardSocketHandler(services),
  });
  services.hub.addPublisher(server);
  const url = `http://127.0.0.1:${server.port}`;
  const request = (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    headers.set("authorization", `Bearer ${TEST_TOKEN}`);
    return fetch(url + path, { ...init, headers });
  };
  return {
    services,
    alerting: alertingOf(services) as AlertingService,
    clock: clock as ManualClock,
    url,
    wsUrl: `ws://127.0.0.1:${server.port}/ws?token=${TEST_TOKEN}`,
    request,
    async json<T>(path: string, method = "GET", body?: unknown) {
      const response = await request(path, {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as T };
    },
    async stop() {
      await services.lifecycle.shutdown([server]);
      if (env.DATA_DIR === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
