/**
 * A second baseline for part 1: Footfall's own HTTP stack (Hono, its middlewares, body limits,
 * parsing, zod validation and normalisation, /api/collect's enrichment, the answer built as in
 * production) with ingestion cut out: nothing is committed or counted and the answer carries
 * empty stats. Between the bare Bun.serve and Footfall it shows how much of the gap is the HTTP
 * stack and how much the work.
 *   bun bench/lib/http-stack-server.ts <port> <data dir>
 */
import { loadConfig } from "../../config/index.ts";
import { startServer } from "../../server.ts";
import { toVisitorEvent } from "../../services/event-normalizer.ts";
import { cutIngestion } from "./ingestion-cut.ts";
import { BENCH_TOKEN } from "./processes.ts";

const [port, dataDir] = process.argv.slice(2);
const running = startServer(
  loadConfig({
    PORT: port,
    HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    API_TOKEN: BENCH_TOKEN,
    LOG_LEVEL: "warn",
    RATE_LIMIT_PER_MINUTE: "0",
  }),
);
cutIngestion(running.services.ingestion, toVisitorEvent);
process.on("SIGTERM", () => {
  void running.shutdown().finally(() => process.exit(0));
});
