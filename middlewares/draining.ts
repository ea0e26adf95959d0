import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../interfaces/app-env.ts";
import { ApiError } from "../schemas/errors.ts";

/** Refuses new work once shutdown has begun; requests already in flight finish. */
export const refuseWhileDraining = createMiddleware<AppEnv>(async (c, next) => {
  if (c.get("services").lifecycle.draining.aborted) {
    c.header("Connection", "close");
    throw new ApiError(503, "shutting_down", "The server is shutting down; retry shortly");
  }
  await next();
});
