import { Hono, type MiddlewareHandler } from "hono";
import { secureHeaders } from "hono/secure-headers";

type SecureHeadersOptions = NonNullable<Parameters<typeof secureHeaders>[0]>;

/** Options whose headers are the same for every request (a CSP nonce is not). */
export type StaticSecureHeadersOptions = Omit<
  Partial<SecureHeadersOptions>,
  "contentSecurityPolicy" | "contentSecurityPolicyReportOnly"
>;

type HeaderList = readonly (readonly [string, string])[];

/**
 * Hono's secure headers with the same names and values, read once from Hono's own middleware for
 * these options, and set on the context's prepared headers before the handler runs: the handler's
 * response is then built with them in one Headers object. Hono's middleware sets each one on the
 * finished response instead, and the CORS middleware before it made Hono copy that response's
 * headers. A handler that returns a Response of its own (not built through the context) gets them
 * afterwards, as Hono sets them. Handlers do not set these names themselves (Hono's would
 * overwrite theirs; these keep them). A test holds the headers identical to Hono's.
 */
export function precomputedSecureHeaders(options: StaticSecureHeadersOptions): MiddlewareHandler {
  let headers: HeaderList | undefined;
  const captured = captureHeaders(options).then((list) => {
    headers = list;
  });
  return async (c, next) => {
    if (headers === undefined) await captured;
    const list = headers as HeaderList;
    for (const [name, value] of list) c.header(name, value);
    await next();
    const sent = c.res.headers;
    const [lastName, lastValue] = list[list.length - 1] as readonly [string, string];
    if (sent.get(lastName) !== lastValue) for (const [name, value] of list) sent.set(name, value);
    if (sent.has("x-powered-by")) sent.delete("x-powered-by");
  };
}

/** The headers Hono's secureHeaders adds for `options`, in the order it sets them. */
async function captureHeaders(options: StaticSecureHeadersOptions): Promise<HeaderList> {
  const set: [string, string][] = [];
  const probe = new Hono().use(secureHeaders(options)).get("/", (c) => {
    const response = c.body(null);
    const headers = response.headers;
    const original = headers.set.bind(headers);
    // Records each header as Hono's middleware sets it on this response.
    headers.set = (name: string, value: string) => {
      set.push([name, value]);
      original(name, value);
    };
    return response;
  });
  await probe.request("/");
  if (set.length === 0) throw new Error("Hono's secureHeaders set no header");
  return set;
}
