import { createHash, randomBytes } from "node:crypto";
import { Hono } from "hono";
import type { AppEnv } from "../interfaces/app-env.ts";
import { requireTokenUnless } from "../middlewares/auth.ts";
import { countryCodeQuerySchema } from "../schemas/compat.ts";
import { ApiError } from "../schemas/errors.ts";
import type { Services } from "../services/container.ts";

/** Changes each start, so a visitor's session id cannot be turned back into an IP address. */
const SESSION_SALT = randomBytes(16).toString("hex");

/**
 * The country-tracker seed's API (`/api/v1`). A visit is an ordinary pageview with a country.
 * Its refusals keep the seed's statuses (422 for a missing code, 403 for a malformed one), which
 * its clients and tests check; Footfall's own routes answer 400 for both kinds.
 */
export function countryTrackerRoutes(services: Services) {
  return new Hono<AppEnv>()
    .get("/ping", (c) => c.json({ message: "pong" }))
    .get("/healthcheck", (c) => c.text("OK"))
    .post("/stats", async (c) => {
      const code = countryCode(c.req.query("countryCode"));
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
    .get("/stats", requireTokenUnless(services.config.compatPublicReads), (c) =>
      c.json(c.var.services.compat.countryVisits()),
    );
}

/** The upper-cased code, or the seed's refusal: 422 when there is none, 403 when it is not two letters. */
function countryCode(raw: string | undefined): string {
  if (raw === undefined || raw === "") {
    throw new ApiError(422, "missing_country_code", "Send the country as ?countryCode=XX");
  }
  const parsed = countryCodeQuerySchema.safeParse({ countryCode: raw });
  if (!parsed.success) {
    throw new ApiError(
      403,
      "invalid_country_code",
      "countryCode must be a two-letter ISO 3166-1 country code",
      {
        details: [
          { path: "countryCode", message: "expected a two-letter ISO 3166-1 country code" },
        ],
      },
    );
  }
  return parsed.data.countryCode.toUpperCase();
}
