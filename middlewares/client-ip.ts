import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../interfaces/app-env.ts";

/**
 * The client's address, for rate limiting only (it is never logged or stored). X-Forwarded-For is
 * believed only with TRUST_PROXY, since any client can send it.
 */
export const clientIp = createMiddleware<AppEnv>(async (c, next) => {
  let ip: string | undefined;
  const { trustProxy } = c.var.services.config;
  if (trustProxy.hops > 0 || trustProxy.addresses.length > 0) {
    ip = c.req.header("x-forwarded-for")?.split(",")[0]?.trim() || c.req.header("x-real-ip");
  }
  ip ||= c.env?.server?.requestIP(c.req.raw)?.address;
  c.set("clientIp", ip || "unknown");
  await next();
});
