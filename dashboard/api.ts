/** What a GET of the authenticated API gave. */
export type ApiAnswer<T> =
  | { ok: true; data: T }
  | { ok: false; reason: "unauthorized" | "not_found" | "failed" };

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
  if (response.status === 401) {
    unauthorized(token);
    return { ok: false, reason: "unauthorized" };
  }
  if (response.status === 404) return { ok: false, reason: "not_found" };
  if (!response.ok) return { ok: false, reason: "failed" };
  try {
    const body = (await response.json()) as { data?: T };
    return body.data === undefined
      ? { ok: false, reason: "failed" }
      : { ok: true, data: body.data };
  } catch {
    return { ok: false, reason: "failed" };
  }
}
