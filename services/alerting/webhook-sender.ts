import type { Clock } from "../clock.ts";
import type { Attempt } from "./delivery-log.ts";
import { signatureHeaders } from "./signer.ts";
import { UnsafeWebhookError, type WebhookGuard } from "./ssrf-guard.ts";

/** One attempt's outcome, and whether trying again could help. */
export interface SendResult extends Attempt {
  ok: boolean;
  retryable: boolean;
}

export interface WebhookSenderOptions {
  timeoutMs: number;
  maxResponseBytes: number;
}

const USER_AGENT = "Footfall-Alerts/1";

/**
 * Sends one signed POST: the address checked again (resolved now, so a name that moved to an
 * internal address since creation is refused), no redirect followed, a deadline over the whole
 * exchange and at most `maxResponseBytes` of the answer read.
 */
export class WebhookSender {
  constructor(
    private readonly guard: WebhookGuard,
    private readonly clock: Clock,
    private readonly options: WebhookSenderOptions,
  ) {}

  async send(url: string, secret: string, body: string, signal?: AbortSignal): Promise<SendResult> {
    let target: URL;
    try {
      target = await this.guard.check(url);
    } catch (error) {
      const unsafe = error instanceof UnsafeWebhookError;
      return { ok: false, retryable: !unsafe, status: null, error: message(error) };
    }
    const timestamp = Math.floor(this.clock.now() / 1000);
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const abort = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      const response = await fetch(target, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": USER_AGENT,
          ...signatureHeaders(secret, timestamp, body),
        },
        body,
        redirect: "manual",
        signal: abort,
      });
      const answer = await readAtMost(response, this.options.maxResponseBytes);
      const { status } = response;
      if (status >= 200 && status < 300) return { ok: true, retryable: false, status, error: null };
      const retryable = status >= 500 || status === 429 || status === 408;
      const what = status >= 300 && status < 400 ? "a redirect (not followed)" : `HTTP ${status}`;
      return {
        ok: false,
        retryable,
        status,
        error: answer === "" ? what : `${what}: ${answer}`,
      };
    } catch (error) {
      const timedOut = timeout.aborted;
      return {
        ok: false,
        retryable: true,
        status: null,
        error: timedOut ? `no answer within ${this.options.timeoutMs} ms` : message(error),
      };
    }
  }
}

/** The answer's text, cut at `max` bytes; the rest is never read. */
async function readAtMost(response: Response, max: number): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < max) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  if (size >= max) await reader.cancel().catch(() => {});
  const bytes = Buffer.concat(chunks).subarray(0, max);
  return new TextDecoder().decode(bytes).trim().slice(0, 200);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
