import { afterEach, describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { postInFlight, type ServerProcess, spawnServer } from "../support/process.ts";
import { DashboardClient, eventually } from "../support/server.ts";

const TOKEN = "process-token-abcdef0123456789";
let running: ServerProcess | undefined;
const started: ServerProcess[] = [];

afterEach(async () => {
  if (running) started.push(running);
  for (const child of started.splice(0)) await child.dispose();
  running = undefined;
});

describe("start-up", () => {
  test("an invalid variable stops start-up with a message naming it and what it expects", async () => {
    const child = Bun.spawn([process.execPath, "index.ts"], {
      cwd: join(import.meta.dir, "..", ".."),
      env: { PATH: process.env.PATH ?? "", PORT: "eighty", SESSION_TIMEOUT_MINUTES: "-1" },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(await child.exited).toBe(1);
    const message = await new Response(child.stderr).text();
    expect(message).toContain('PORT="eighty": expected a whole number');
    expect(message).toContain('SESSION_TIMEOUT_MINUTES="-1": expected a number greater than 0');
  });

  test("a too-short API_TOKEN stops start-up naming the variable without printing its value", async () => {
    const secret = "short-s3cret";
    const child = Bun.spawn([process.execPath, "index.ts"], {
      cwd: join(import.meta.dir, "..", ".."),
      env: { PATH: process.env.PATH ?? "", API_TOKEN: secret, PORT: "eighty" },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(await child.exited).toBe(1);
    const stderr = await new Response(child.stderr).text();
    const stdout = await new Response(child.stdout).text();
    expect(stderr).toContain("API_TOKEN (value not shown): expected at least 16 characters");
    expect(stderr).toContain('PORT="eighty"');
    expect(stderr + stdout).not.toContain(secret);
  });

  test("a SHUTDOWN_TIMEOUT_SECONDS over 4 is refused, so shutdown stays within 5 s", async () => {
    const child = Bun.spawn([process.execPath, "index.ts"], {
      cwd: join(import.meta.dir, "..", ".."),
      env: { PATH: process.env.PATH ?? "", SHUTDOWN_TIMEOUT_SECONDS: "10" },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(await child.exited).toBe(1);
    expect(await new Response(child.stderr).text()).toContain(
      'SHUTDOWN_TIMEOUT_SECONDS="10": expected a number of seconds greater than 0 and at most 4',
    );
  });

  test("start-up prints where the API, the WebSocket and the docs are, and how to authenticate", async () => {
    running = await spawnServer({ API_TOKEN: TOKEN });
    const banner = running.output();
    expect(banner).toContain(`${running.url.replace("127.0.0.1", "127.0.0.1")}/api`);
    expect(banner).toMatch(/WebSocket\s+ws:\/\/.*\/ws\?token=<token>/);
    expect(banner).toContain("/docs");
    expect(banner).toContain("Authorization: Bearer <token>");
    expect(banner).not.toContain(TOKEN);
  });

  test("without API_TOKEN a token is generated once, kept in DATA_DIR with mode 0600 and printed", async () => {
    running = await spawnServer();
    const file = join(running.dataDir, "api-token");
    const token = (await Bun.file(file).text()).trim();
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(running.output()).toContain(token);
    expect(
      (await fetch(`${running.url}/api/status`, { headers: { authorization: `Bearer ${token}` } }))
        .status,
    ).toBe(200);
    running.process.kill("SIGTERM");
    await running.process.exited;
    started.push(running);

    const again = await spawnServer({ DATA_DIR: running.dataDir });
    running = again;
    expect((await fetch(`${again.url}/api/status?token=${token}`)).status).toBe(200);
    expect(again.output()).not.toContain(token);
  });
});

describe("logs", () => {
  test("logs are JSON lines that never contain the token or a client IP", async () => {
    running = await spawnServer({ API_TOKEN: TOKEN, LOG_LEVEL: "debug", TRUST_PROXY: "true" });
    const headers = { "x-forwarded-for": "203.0.113.77", "content-type": "application/json" };
    await fetch(`${running.url}/api/events`, {
      method: "POST",
      headers,
      body: JSON.stringify({ type: "pageview", page: "/", session_id: "s" }),
    });
    await fetch(`${running.url}/api/status?token=${TOKEN}`, { headers });
    await fetch(`${running.url}/api/status`, {
      headers: { ...headers, authorization: `Bearer ${TOKEN}` },
    });
    await fetch(`${running.url}/api/status?token=wrong-token-wrong-token`, { headers });
    const server = running;
    const jsonLines = () =>
      server
        .output()
        .split("\n")
        .filter((line) => line.startsWith("{"));
    // The four requests are logged once answered; stdout reaches us a little later.
    await eventually(
      () => jsonLines().filter((line) => line.includes('"msg":"request"')).length >= 4,
    );
    const logLines = jsonLines();
    expect(logLines.length).toBeGreaterThanOrEqual(5);
    for (const line of logLines) expect(() => JSON.parse(line)).not.toThrow();
    const logs = logLines.join("\n");
    expect(logs).toContain('"path":"/api/status"');
    expect(logs).not.toContain(TOKEN);
    expect(logs).not.toContain("wrong-token");
    expect(logs).not.toContain("203.0.113.77");
    expect(logs).not.toContain('127.0.0.1"');
  });
});

describe("graceful shutdown", () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    test(`on ${signal}: dashboards get shutdown then 1001, in-flight requests finish, exit 0 within 5 s`, async () => {
      running = await spawnServer({ API_TOKEN: TOKEN });
      const dashboard = await DashboardClient.connect(
        `${running.url.replace("http", "ws")}/ws?token=${TOKEN}`,
      );
      await dashboard.next("user_connected");
      // A request truly in flight: headers taken by the server, body still arriving when the
      // signal lands, and the rest of it sent only once shutdown has begun.
      const body = JSON.stringify({ type: "pageview", page: "/last", session_id: "last" });
      const inFlight = await postInFlight(running.url, "/api/events", body);
      const started = Date.now();
      running.process.kill(signal);
      const shutdownFrame = await dashboard.next("shutdown");
      expect(shutdownFrame.data.reason).toBeString();
      inFlight.finish();
      expect((await dashboard.closed).code).toBe(1001);
      expect(await inFlight.status).toBe(201);
      expect(await running.process.exited).toBe(0);
      expect(Date.now() - started).toBeLessThan(5000);
    });
  }

  test("a request that never finishes is cut after SHUTDOWN_TIMEOUT_SECONDS and the process still exits 0", async () => {
    running = await spawnServer({ API_TOKEN: TOKEN, SHUTDOWN_TIMEOUT_SECONDS: "1" });
    // Its body never completes.
    const stuck = await postInFlight(
      running.url,
      "/api/events",
      JSON.stringify({ type: "pageview", page: "/", session_id: "stuck" }),
    );
    const started = Date.now();
    running.process.kill("SIGTERM");
    expect(await running.process.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(running.output()).toContain('"msg":"shutting down"');
    stuck.close();
  });

  test("while shutting down, health answers 503 and ingestion shutting_down", async () => {
    const { startTestServer } = await import("../support/server.ts");
    const server = startTestServer();
    server.services.lifecycle.beginDraining();
    const health = await server.request("/health");
    expect(health.status).toBe(503);
    expect((await health.json()).status).toBe("shutting_down");
    const ingest = await server.postEvent({ type: "pageview", page: "/", session_id: "s" });
    expect(ingest.status).toBe(503);
    expect((await ingest.json()).code).toBe("shutting_down");
    const upgrade = await fetch(server.wsUrl.replace("ws", "http"), {
      headers: { upgrade: "websocket" },
    });
    expect(upgrade.status).toBe(503);
    await server.stop();
  });
});
