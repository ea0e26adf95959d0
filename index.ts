import { ConfigError, loadConfig } from "./config/index.ts";
import { launchServer } from "./server.ts";
import { TOKEN_FILE } from "./services/api-token.ts";

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`Footfall cannot start.\n${error.message}\nSee .env.example for every variable.`);
    process.exit(1);
  }
  throw error;
}

let running: Awaited<ReturnType<typeof launchServer>>;
try {
  running = await launchServer(config);
} catch (error) {
  // One line, whatever failed (opening, checking, migrating the database, replaying the log, the
  // port, reaching Redis or Postgres): a damaged database must never leave a silent process behind.
  const reason = error instanceof Error ? error.message : String(error);
  console.error(`Footfall cannot start: ${reason.replace(/\s*\n\s*/g, " ")}`);
  process.exit(1);
}
const { services, websocketServer, tokenSource } = running;
const shownHost = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
const base = `http://${shownHost}:${running.server.port}`;
const wsBase = `ws://${shownHost}:${running.server.port}`;
const tokenLine =
  tokenSource === "environment"
    ? "the API_TOKEN you set"
    : tokenSource === "generated"
      ? `${services.apiToken}   (generated now; kept in ${config.dataDir}/${TOKEN_FILE})`
      : `kept in ${config.dataDir}/${TOKEN_FILE}`;

// Plain text for the person starting it; everything after this is structured JSON logs.
console.log(
  [
    "",
    "  Footfall is running",
    `  Dashboard    ${base}/#token=${tokenSource === "generated" ? services.apiToken : "<token>"}`,
    `  API          ${base}/api   (POST ${base}/api/events is public)`,
    `  WebSocket    ${wsBase}/ws?token=<token>${websocketServer ? `   and ws://${shownHost}:${websocketServer.port}/?token=<token>` : ""}`,
    `  Docs         ${base}/docs   (OpenAPI: ${base}/api/openapi.json)`,
    `  Health       ${base}/health`,
    `  Tracker      <script defer src="${base}/tracker.js" data-site="example.com"></script>   (try ${base}/demo)`,
    ...(config.cluster
      ? [
          `  Cluster      instance ${services.cluster?.instance}, stream ${config.cluster.streamKey}`,
        ]
      : []),
    `  API token    ${tokenLine}`,
    "               send it as 'Authorization: Bearer <token>' or '?token=<token>'",
    "",
  ].join("\n"),
);
services.logger.info({ port: running.server.port, env: config.nodeEnv }, "started");

/**
 * Past this, the process exits whatever a shutdown step is doing: SHUTDOWN_TIMEOUT_SECONDS is at
 * most 4, and the promise is to be gone within 5 s of the signal.
 */
const SHUTDOWN_DEADLINE_MS = 4_500;
let shuttingDown = false;

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, async () => {
    if (shuttingDown) return;
    shuttingDown = true;
    services.logger.info({ signal }, "shutting down");
    // Exit 0 only when every step of the shutdown completed; 1 when one failed or hung.
    let exitCode = 1;
    setTimeout(() => {
      services.logger.error({ deadline_ms: SHUTDOWN_DEADLINE_MS }, "shutdown did not finish");
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    try {
      await running.shutdown();
      exitCode = 0;
    } catch (error) {
      services.logger.error({ err: error }, "shutdown failed");
    } finally {
      process.exit(exitCode);
    }
  });
}
