// A process holding N dashboards that ask for request_detailed_stats as fast as the server lets a
// dashboard send messages: each sends its whole minute's allowance (WS_MESSAGES_PER_MINUTE, 600 by
// default) at once, then one every 100 ms, each dashboard with its own filter so the cache cannot
// share answers between them.
// Args: <wsUrl> <count> <seconds> <burst>. Prints "READY", waits for "go" on stdin, asks for
// <seconds>, then prints one JSON line and exits.
const [wsUrl = "", countArg = "5", secondsArg = "10", burstArg = "600"] = process.argv.slice(2);
const count = Number(countArg);
const COUNTRIES = ["Country 0", "Country 1", "Country 2", "Country 3", "Country 4", "Country 5"];

let answers = 0;
let rateLimited = 0;
let otherErrors = 0;
let answerBytes = 0;
/** Distinct (filter, generated_at) pairs: the builds the server made for these dashboards. */
const builds = new Set<string>();

function filterFor(index: number): Record<string, string> {
  // The first dashboard asks for everything (the costliest answer), the others for a country.
  return index === 0 ? {} : { country: COUNTRIES[(index - 1) % COUNTRIES.length] as string };
}

function connect(index: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl);
    socket.addEventListener("open", () => resolve(socket), { once: true });
    socket.addEventListener("error", () => reject(new Error("connect failed")), { once: true });
    socket.addEventListener("message", (message) => {
      const text = String(message.data);
      // Answers can be hundreds of KB: read the type and the build time without parsing them.
      if (text.startsWith('{"type":"detailed_stats_response"')) {
        answers++;
        answerBytes += text.length;
        const at = text.lastIndexOf('"generated_at":"');
        builds.add(`${index}:${text.slice(at, at + 45)}`);
      } else if (text.startsWith('{"type":"error"')) {
        if (text.includes('"rate_limited"')) rateLimited++;
        else otherErrors++;
      }
    });
  });
}

const sockets = await Promise.all(Array.from({ length: count }, (_, index) => connect(index)));
console.log("READY");
for await (const line of console) {
  if (line.trim() === "go") break;
}
const seconds = Number(secondsArg);
let sent = 0;
const askAll = () => {
  sockets.forEach((socket, index) => {
    const filter = filterFor(index);
    socket.send(JSON.stringify({ type: "request_detailed_stats", data: { filter } }));
    sent++;
  });
};
const started = performance.now();
for (let i = 0; i < Number(burstArg); i++) askAll();
while (performance.now() - started < seconds * 1000) {
  await Bun.sleep(100);
  askAll();
}
// The last answers (a server answering every request can take a while).
const lastSent = performance.now();
while (answers + rateLimited + otherErrors < sent && performance.now() - lastSent < 30_000) {
  await Bun.sleep(50);
}
for (const socket of sockets) socket.close();
console.log(
  JSON.stringify({
    dashboards: count,
    requests_sent: sent,
    answers,
    rate_limited: rateLimited,
    other_errors: otherErrors,
    distinct_answers_built: builds.size,
    answer_mb: Number((answerBytes / 2 ** 20).toFixed(1)),
  }),
);
process.exit(0);
