import type { Server, WebSocketHandler } from "bun";
import { isAuthorized, unauthorized } from "../middlewares/auth.ts";
import { refusalResponse } from "../middlewares/error-handler.ts";
import { ApiError } from "../schemas/errors.ts";
import { resumePosition, wantsBatching } from "../schemas/websocket-protocol.ts";
import type { Services } from "../services/container.ts";
import type { DashboardSocketData } from "../services/realtime-hub.ts";

export const WEBSOCKET_PATH = "/ws";

/**
 * Upgrades a dashboard's request to a native Bun WebSocket, ahead of Hono. Returns undefined once
 * upgraded, or the error response to send instead (built where every error response is).
 */
export function upgradeDashboard(
  request: Request,
  server: Server<DashboardSocketData>,
  services: Services,
): Promise<Response> | undefined {
  if (services.lifecycle.draining.aborted) {
    return refusalResponse(
      request,
      new ApiError(503, "shutting_down", "The server is shutting down"),
    );
  }
  if (!isAuthorized(request, services.apiToken)) {
    return refusalResponse(request, unauthorized(), {
      "WWW-Authenticate": 'Bearer realm="footfall"',
    });
  }
  if (!services.hub.hasRoom()) {
    return refusalResponse(
      request,
      new ApiError(
        503,
        "too_many_connections",
        `At most ${services.config.limits.maxDashboards} dashboards may be connected`,
      ),
    );
  }
  const url = new URL(request.url);
  const data = services.hub.newSocketData({
    batching: wantsBatching(url),
    since: resumePosition(url),
  });
  if (server.upgrade(request, { data })) return undefined;
  return refusalResponse(
    request,
    new ApiError(426, "upgrade_required", "Connect with a WebSocket client"),
    { Upgrade: "websocket" },
  );
}

export function dashboardSocketHandler(services: Services): WebSocketHandler<DashboardSocketData> {
  const { limits } = services.config;
  const { hub } = services;
  return {
    maxPayloadLength: limits.wsMaxFrameBytes,
    backpressureLimit: limits.wsBackpressureBytes,
    // A dashboard that stops reading is dropped rather than buffered without bound (the hub
    // also bounds the sum over all dashboards: WS_TOTAL_BACKPRESSURE_BYTES).
    closeOnBackpressureLimit: true,
    idleTimeout: 120,
    sendPings: true,
    open: (ws) => hub.open(ws),
    message: (ws, message) => hub.message(ws, message),
    drain: (ws) => hub.drain(ws),
    close: (ws, code) => hub.close(ws, code),
  };
}
