/**
 * Bun writes a response that is answered after the request's own turn of the event loop (as
 * every ingestion answer is: it waits for the group commit) on one of two paths. Below about
 * 15 KiB it is corked: status line, headers and body leave in one `sendto`. At or above it,
 * Bun skips the cork and every piece of the status line and of each header is its own syscall
 * and TCP segment: about 80 for our 19 headers, which cut ingestion to a tenth of its rate once
 * `pages_visited` grew past a few hundred pages (see BENCHMARKS.md). A ReadableStream body is
 * always rendered corked, so a large deferred body is handed over as a stream (Bun sends it
 * chunked, whatever Content-Length is given).
 */
const CORKED_LIMIT_BYTES = 15 * 1024 - 1024;

const encoder = new TextEncoder();

/** The last shared part encoded: every answer after one group commit shares the same stats. */
let lastShared: { text: string; bytes: Uint8Array } | undefined;

/**
 * A body Bun writes corked, whatever its size: `head + shared + tail`, where `shared` is a large
 * string many answers have in common (encoded once) and `head` and `tail` are small; a string
 * when it stays under the cork limit, a stream of its three parts otherwise.
 */
export function corkedBody(
  head: string,
  shared: string,
  tail: string,
): string | ReadableStream<Uint8Array> {
  // A UTF-16 length under a third of the limit cannot exceed it in UTF-8.
  if ((head.length + shared.length + tail.length) * 3 < CORKED_LIMIT_BYTES) {
    return head + shared + tail;
  }
  if (lastShared?.text !== shared) lastShared = { text: shared, bytes: encoder.encode(shared) };
  const parts = [encoder.encode(head), lastShared.bytes, encoder.encode(tail)];
  const length = parts.reduce((sum, part) => sum + part.length, 0);
  if (length < CORKED_LIMIT_BYTES) return head + shared + tail;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const part of parts) controller.enqueue(part);
      controller.close();
    },
  });
}
