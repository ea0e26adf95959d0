import { Hono } from "hono";
import type { AppEnv } from "../interfaces/app-env.ts";

/** OpenAPI document and the interactive docs page (filled in by the docs work). */
export function docsRoutes() {
  return new Hono<AppEnv>();
}
