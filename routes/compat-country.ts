import { createHash, randomBytes } from "node:crypto";
import { Hono } from "hono";
import type { AppEnv } from "../interfaces/app-env.ts";
import { requireToken } from "../middlewares/auth.ts";
import { validate } from "../middlewares/validate.ts";
import { countryCodeQuerySchema } from "../schemas/compat.ts";

/** Changes each start, so a visitor's session id cannot be turned back into an IP address. */
const SESSION_SALT = randomBytes(16).toString("hex");

/** The country-tracker seed's API (`/api/v1`). A visit is an ordinary pageview with a country. */
export function countryTrackerRoutes() {
  return new Hono<AppEnv>()
    .get("/ping", (c) => c.json({ message: "pong" }))
    .post("/stats", validate("query", countryCodeQuerySchema), async (c) => {
      const code = c.req.valid("query").countryCode.toUpperCase();
      const { ingestion, compat } = c.var.services;
      await ingestion.accept([
        {
          type: "pageview",
          page: "/",
          country: code,
          session_id: `v1:${createHash("sha256")
            .update(SESSION_SALT + c.var.clientIp + (c.req.header("user-agent") ?? ""))
            .digest("hex")
            .slice(0, 24)}`,
        },
      ]);
      return c.json({ [code.toLowerCase()]: compat.countryCount(code) }, 201);
    })
    .get("/stats", requireToken, (c) => c.json(c.var.services.compat.countryVisits()));
}
