import { Hono } from "hono";
import type { AppEnv } from "../interfaces/app-env.ts";

/** `/tracker.js`, the script websites embed, and the `/demo` pages (being built: see issue 4). */
export function trackerRoutes() {
  return new Hono<AppEnv>();
}
