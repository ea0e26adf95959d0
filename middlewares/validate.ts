import { zValidator } from "@hono/zod-validator";
import type { ValidationTargets } from "hono";
import type { ZodType } from "zod";
import { validationError } from "../schemas/errors.ts";

/** The `error` title of a refused target (the seed's, for queries). */
const TITLES: Partial<Record<keyof ValidationTargets, string>> = {
  query: "Invalid query parameters",
};

/** zValidator whose failures become our error body (the only place they are formatted). */
export function validate<Target extends keyof ValidationTargets, Schema extends ZodType>(
  target: Target,
  schema: Schema,
) {
  return zValidator(target, schema, (result) => {
    if (!result.success)
      throw validationError(result.error.issues, `Invalid ${target}`, TITLES[target]);
  });
}
