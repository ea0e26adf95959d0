import type { Server } from "bun";
import type { Config } from "./config/index.ts";
import { createApp } from "./routes/app.ts";
import { dashboardSocketHandler, upgradeDashboard, WEBSOCKET_PATH } from "./routes/websocket.ts";
import { resolveApiToken } from "./services/api-token.ts";
import { type Clock, systemClock } from "./services/clock.ts";
import { ClusterRuntime } from "./services/cluster/cluster-runtime.ts";
import { createServices, type Services } from "./services/container.ts";
import { createLogger, type Logger } from "./services/logger.ts";
import type { DashboardSocketData } from "./services/realtime-hub.ts";

export interface RunningServer {
  readonly services: Services;
  readonly server: Server<DashboardSocketData>;
  /** Present when WEBSOCKET_PORT is set: the same endpoint on its own port. */
  readonly websocketServer?: Server<DashboardSocketData>;
  readonly url: string;
  readonly tokenSource: "environment" | "file" | "generated";
  /** Health 503, dashboards told and closed (1001), in-flight requests finished, timers stopped (services/lifecycle.ts). */
  shutdown(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  logger?: Logger;
}

/** Starts a single process (SQLite); cluster mode starts through `launchServer`. */
export function startServer(config: Config, options: StartOptions = {}): RunningServer {
  if (config.cluster) throw new Error("cluster mode starts with launchServer (asynchronous)");
  const logger = options.logger ?? createLogger(config.logLevel);
  const { token, source } = resolveApiToken(config.apiToken, config.dataDir);
  const services = createServices(config, token, logger, options.clock ?? systemClock);
  return serve(config, services, source);
}

/**
 * Starts either mode: in cluster mode it connects Redis and Postgres, restores the live state
 * from them and tails the stream before it listens.
 */
export async function launchServer(
  config: Config,
  options: StartOptions = {},
): Promise<RunningServer> {
  if (!config.cluster) return startServer(config, options);
  const logger = options.logger ?? createLogger(config.logLevel);
  const { token, source } = resolveApiToken(config.apiToken, config.dataDir);
  const cluster = await ClusterRuntime.connect(config.cluster, logger);
  let services: Services | undefined;
  try {
    services = createServices(config, token, logger, options.clock ?? systemClock, cluster);
    await services.start();
    return serve(config, services, source);
  } catch (error) {
    await cluster.close();
    services?.database.close();
    throw error;
  }
}

/**
 * False when `url` cannot have the WebSocket path, so most requests skip parsing their URL here
 * (Hono finds the path itself, without a URL object). URL parsing removes dot segments and turns
 * `\` into `/`, but never decodes a path: a pathname of "/ws" needs "ws" in the text itself.
 */
function mayBeWebSocketPath(url: string): boolean {
  return url.includes(WEBSOCKET_PATH.slice(1));
}

function serve(
  config: Config,
  services: Services,
  source: RunningServer["tokenSource"],
): RunningServer {
  const app = createApp(services);
  const websocket = dashboardSocketHandler(services);
  // Bun answers a body over this with its own 413 before we see it; ours (JSON) fires first.
  const maxRequestBodySize = config.limits.maxBatchBytes * 4;

  // Bun closes a connection idle this long (seconds, default 10, at most 255) with no answer: it
  // must outlast the body timeout, so a slow body gets our 408 rather than a silent cut.
  const idleTimeout = Math.min(
    255,
    Math.max(10, Math.ceil(config.limits.requestBodyTimeoutMs / 1000) + 5),
  );

  const server = Bun.serve<DashboardSocketData>({
    port: config.port,
    hostname: config.host,
    maxRequestBodySize,
    idleTimeout,
    fetch(request, server) {
      if (mayBeWebSocketPath(request.url) && new URL(request.url).pathname === WEBSOCKET_PATH) {
        return upgradeDashboard(request, server, services);
      }
      return app.fetch(request, { server });
    },
    websocket,
  });
  services.hub.addPublisher(server);

  let websocketServer: Server<DashboardSocketData> | undefined;
  if (config.websocketPort !== undefined) {
    // As the earlier backend's separate WebSocket port did, any path upgrades.
    websocketServer = Bun.serve<DashboardSocketData>({
      port: config.websocketPort,
      hostname: config.host,
      fetch: (request, wsServer) => upgradeDashboard(request, wsServer, services),
      websocket,
    });
    services.hub.addPublisher(websocketServer);
  }
  services.lifecycle.startTimers();
  const servers = [server, websocketServer].filter((s) => s !== undefined);
  return {
    services,
    server,
    websocketServer,
    url: server.url.toString().replace(/\/$/, ""),
    tokenSource: source,
    shutdown: () => services.lifecycle.shutdown(servers),
  };
}
