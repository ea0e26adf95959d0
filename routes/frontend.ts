import { Hono } from "hono";
import type { AppEnv } from "../interfaces/app-env.ts";

/** The live dashboard at `/` and its bundled assets (being built: see issue 4). */
export function frontendRoutes() {
  return new Hono<AppEnv>();
}
