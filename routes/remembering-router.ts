import type { Result, Router } from "hono/router";
import { RegExpRouter } from "hono/router/reg-exp-router";
import { SmartRouter } from "hono/router/smart-router";
import { TrieRouter } from "hono/router/trie-router";

/** Paths remembered per method before the memory starts over (a scan of random paths cannot grow it). */
const REMEMBERED_PATHS = 1024;
/** Methods remembered at most: the HTTP methods and a few more. */
const REMEMBERED_METHODS = 16;

/**
 * Hono's own router (RegExpRouter when every route suits it, else TrieRouter, as Hono picks), with
 * each method and path's match remembered. Footfall's routes need the TrieRouter (a static and a
 * parameter route at one place, `/docs/assets/init.js` and `/docs/assets/:name`), whose search
 * splits and walks the path on every request: ~7% of the stack's in-process samples for the same
 * few ingestion paths. A match is read-only to Hono (its RegExpRouter hands out one shared match
 * per static path in the same way), and the same path always matches the same routes.
 */
export class RememberingRouter<T> implements Router<T> {
  readonly name = "RememberingRouter";
  private readonly router = new SmartRouter<T>({
    routers: [new RegExpRouter(), new TrieRouter()],
  });
  private readonly matches = new Map<string, Map<string, Result<T>>>();

  add(method: string, path: string, handler: T): void {
    this.matches.clear();
    this.router.add(method, path, handler);
  }

  match(method: string, path: string): Result<T> {
    let byPath = this.matches.get(method);
    if (byPath === undefined) {
      // A client may send any method token: only so many are remembered, the rest are matched.
      if (this.matches.size >= REMEMBERED_METHODS) return this.router.match(method, path);
      byPath = new Map();
      this.matches.set(method, byPath);
    }
    let result = byPath.get(path);
    if (result === undefined) {
      result = this.router.match(method, path);
      if (byPath.size >= REMEMBERED_PATHS) byPath.clear();
      byPath.set(path, result);
    }
    return result;
  }
}
