import type { Context } from "hono";
import { etag } from "hono/etag";

/**
 * An asset built in memory on first use (the tracker, the dashboard): built once; a failed build
 * is not kept, so the next call tries again.
 */
export function builtOnce<Built>(build: () => Promise<Built>): () => Promise<Built> {
  let built: Promise<Built> | undefined;
  return () => {
    built ??= build().catch((error: unknown) => {
      built = undefined;
      throw error;
    });
    return built;
  };
}

const conditionalGet = etag();

/**
 * `respond`'s answer, or 304 with no body when If-None-Match names the ETag it carries (hono's
 * etag middleware compares, weakly as RFC 9110 asks for GET).
 */
export async function withEtag(
  c: Context,
  respond: () => Response | Promise<Response>,
): Promise<Response> {
  await conditionalGet(c, async () => {
    c.res = await respond();
  });
  return c.res;
}
