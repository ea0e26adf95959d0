import type { Server, WebSocketHandler } from "bun";
import { ApiError } from "../middlewares/api-error.ts";
import { isAuthorized, unauthorized } from "../middlewares/auth.ts";
import type { Services } from "../services/container.ts";
import type { DashboardSocketData } from "../services/realtime-hub.ts";

export const WEBSOCKET_PATH = "/ws";

/**
 * Upgrades a dashboard's request to a native Bun WebSocket, ahead of Hono. Returns undefined once
 * upgraded, or the JSON error response to send instead.
 */
export function upgradeDashboard(
  request: Request,
  server: Server<DashboardSocketData>,
  services: Services,
): Response | undefined {
  if (services.draining) {
    return new ApiError(503, "shutting_down", "The server is shutting down").toResponse();
  }
  if (!isAuthorized(request, services.apiToken)) {
    return unauthorized().toResponse({ "WWW-Authenticate": 'Bearer realm="footfall"' });
  }
  if (!services.hub.hasRoom()) {
    return new ApiError(
      503,
      "too_many_connections",
      `At most ${services.config.limits.maxDashboards} dashboards may be connected`,
    ).toResponse();
  }
  if (server.upgrade(request, { data: services.hub.newSocketData() })) return undefined;
  return new ApiError(426, "upgrade_required", "Connect with a WebSocket client").toResponse({
    Upgrade: "websocket",
  });
}

export function dashboardSocketHandler(services: Services): WebSocketHandler<DashboardSocketData> {
  const { limits } = services.config;
  const { hub } = services;
  return {
    maxPayloadLength: limits.wsMaxFrameBytes,
    backpressureLimit: limits.wsBackpressureBytes,
    // A dashboard that stops reading is dropped rather than buffered without bound.
    closeOnBackpressureLimit: true,
    idleTimeout: 120,
    sendPings: true,
    open: (ws) => hub.open(ws),
    message: (ws, message) => hub.message(ws, message),
    close: (ws, code) => hub.close(ws, code),
  };
}
