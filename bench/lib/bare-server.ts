// The baseline server: reads the body and answers 201, nothing else.
const port = Number(process.argv[2] ?? 0);
Bun.serve({
  port,
  hostname: "127.0.0.1",
  async fetch(request) {
    if (request.method === "POST") {
      await request.text();
      return new Response('{"success":true}', {
        status: 201,
        headers: { "content-type": "application/json" },
      });
    }
    return new Response("ok");
  },
});
