import { PatternRouter } from "hono/router/pattern-router";

/**
 * The methods served at each path, from an app's route list (middleware, registered for ALL
 * methods, is left out), so an unsupported method can be answered 405 with `Allow`. HEAD comes
 * with GET (Hono answers it from the GET route) and OPTIONS everywhere (the CORS middleware).
 */
export function allowedMethodsOf(
  routes: readonly { method: string; path: string }[],
): (path: string) => readonly string[] {
  const router = new PatternRouter<string>();
  for (const { method, path } of routes) {
    if (method !== "ALL") router.add("ALL", path, method);
  }
  return (path) => {
    const methods = new Set(router.match("ALL", path)[0].map(([method]) => method));
    if (methods.size === 0) return [];
    if (methods.has("GET")) methods.add("HEAD");
    methods.add("OPTIONS");
    return [...methods].sort();
  };
}
