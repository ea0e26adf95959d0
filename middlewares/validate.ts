import type { ValidationTargets } from "hono";
import type { ZodError } from "zod";
import { validationError } from "../schemas/errors.ts";

/** The `error` title of a refused target (the earlier clients' own, for queries). */
const TITLES: Partial<Record<keyof ValidationTargets, string>> = {
  query: "Invalid query parameters",
};

/** Where a declared request schema's failures become our error body (the only place). */
export function validationHook(result: {
  target: keyof ValidationTargets;
  success: boolean;
  error?: ZodError;
}): void {
  if (!result.success && result.error) {
    throw validationError(result.error.issues, `Invalid ${result.target}`, TITLES[result.target]);
  }
}
