/**
 * Bun writes a response that is answered after the request's own turn of the event loop (as
 * every ingestion answer is: it waits for the group commit) on one of two paths. Below about
 * 15 KiB it is corked: status line, headers and body leave in one `sendto`. At or above it,
 * Bun skips the cork and every piece of the status line and of each header is its own syscall
 * and TCP segment: about 80 for our 19 headers, which cut ingestion to a tenth of its rate once
 * `pages_visited` grew past a few hundred pages (see BENCHMARKS.md). A ReadableStream body is
 * always rendered corked, so a large deferred body is handed over as a one-chunk stream.
 */
const CORKED_LIMIT_BYTES = 15 * 1024 - 1024;

const encoder = new TextEncoder();

export function deferredBody(text: string): { body: string | ReadableStream; length?: number } {
  // A UTF-16 length under a third of the limit cannot exceed it in UTF-8.
  if (text.length * 3 < CORKED_LIMIT_BYTES) return { body: text };
  const bytes = encoder.encode(text);
  if (bytes.length < CORKED_LIMIT_BYTES) return { body: text };
  return {
    body: new ReadableStream({
      start(controller) {
        controller.enqueue(bytes);
        controller.close();
      },
    }),
    length: bytes.length,
  };
}
