/** What a GET of the authenticated API gave; a refusal carries the server's message when it sent one. */
export type ApiAnswer<T> = { ok: true; data: T } | ApiRefusal;

/** A request the API refused or that did not reach it; `message` is the server's when it sent one. */
export type ApiRefusal = {
  ok: false;
  reason: "unauthorized" | "not_found" | "failed";
  message?: string;
};

/** Footfall's error body: `error` a short title, `code` the machine code, `message` what went wrong. */
interface ErrorBody {
  success: false;
  error?: string;
  code?: string;
  message?: string;
}

let unauthorized: (token: string) => void = () => {};

/** Called with the token a request used whenever the API answers 401: the page asks for another. */
export function onUnauthorized(listener: (token: string) => void): void {
  unauthorized = listener;
}

/** GET `path` with the token as Bearer; `data` of our `{success, data}` body when it succeeds. */
export async function apiGet<T>(token: string, path: string): Promise<ApiAnswer<T>> {
  let response: Response;
  try {
    response = await fetch(path, {
      headers: { authorization: `Bearer ${token}` },
      cache: "no-store",
    });
  } catch {
    return { ok: false, reason: "failed" };
  }
  if (!response.ok) return refusal(response, token);
  try {
    const body = (await response.json()) as { data?: T };
    return body.data === undefined
      ? { ok: false, reason: "failed" }
      : { ok: true, data: body.data };
  } catch {
    return { ok: false, reason: "failed" };
  }
}

async function refusal(response: Response, token: string): Promise<ApiRefusal> {
  // The code says what happened; the status stands in when a proxy answered instead of Footfall.
  const body = (await response.json().catch(() => ({}))) as Partial<ErrorBody>;
  const code =
    body.code ??
    (response.status === 401 ? "unauthorized" : response.status === 404 ? "not_found" : "");
  const message = typeof body.message === "string" ? body.message : undefined;
  if (code === "unauthorized") {
    unauthorized(token);
    return { ok: false, reason: "unauthorized", message };
  }
  if (code === "not_found") return { ok: false, reason: "not_found", message };
  return { ok: false, reason: "failed", message };
}

/** What a request of the analytics API gave: its whole body (`{success: true, ...}`) or a refusal. */
export type ApiBody<T> = { ok: true; body: T } | ApiRefusal;

/** GET `path` with the token as Bearer; the whole JSON body (the analytics API has no `data`). */
export function apiGetJson<T>(token: string, path: string): Promise<ApiBody<T>> {
  return requestJson<T>(token, path, { method: "GET" });
}

/** POST `body` as JSON to `path` with the token as Bearer; the whole JSON body. */
export function apiPost<T>(token: string, path: string, body: unknown): Promise<ApiBody<T>> {
  return requestJson<T>(token, path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function requestJson<T>(token: string, path: string, init: RequestInit): Promise<ApiBody<T>> {
  let response: Response;
  try {
    response = await fetch(path, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` },
      cache: "no-store",
    });
  } catch {
    return { ok: false, reason: "failed" };
  }
  if (!response.ok) return refusal(response, token);
  try {
    return { ok: true, body: (await response.json()) as T };
  } catch {
    return { ok: false, reason: "failed" };
  }
}
