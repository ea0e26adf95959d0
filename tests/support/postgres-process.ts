import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SQL, type Subprocess } from "bun";
import { clusterRequired, freePort } from "./redis-process.ts";

/** Debian's PostgreSQL (15 on bookworm; apt-get install postgresql); `.ci/run` installs it. */
export const POSTGRES_BIN = process.env.POSTGRES_BIN ?? debianPostgresBin();
export const hasPostgres = existsSync(join(POSTGRES_BIN, "postgres"));

if (!hasPostgres && clusterRequired) {
  throw new Error(
    `CI is set but there is no Postgres in ${POSTGRES_BIN}: the cluster tests cannot be skipped in CI (apt-get install postgresql, or set POSTGRES_BIN).`,
  );
}
if (!hasPostgres) {
  console.warn(
    `Cluster tests skipped: no Postgres in ${POSTGRES_BIN} (apt-get install postgresql). CI installs it.`,
  );
}

/** Postgres refuses to run as root: then every server command runs as the `postgres` user. */
const asRoot = process.getuid?.() === 0;
const command = (name: string, ...args: string[]) => {
  const binary = join(POSTGRES_BIN, name);
  return asRoot ? ["runuser", "-u", "postgres", "--", binary, ...args] : [binary, ...args];
};

export interface PostgresProcess {
  readonly port: number;
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication, tests only). */
  readonly url: string;
  /** Stops the server abruptly (`pg_ctl stop -m immediate`), keeping its data. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data; waits until it answers. */
  start(): Promise<void>;
  /** Stops the server and removes its directory. */
  dispose(): Promise<void>;
}

/** A throwaway Postgres in a temporary directory on a free port, fsync off, ready to query. */
export async function startPostgres(): Promise<PostgresProcess> {
  const dir = mkdtempSync(join(tmpdir(), "footfall-pg-"));
  // The postgres user must write there when we run as root.
  if (asRoot) chmodSync(dir, 0o777);
  const data = join(dir, "data");
  const init = Bun.spawnSync(
    command("initdb", "-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"),
    { stdout: "pipe", stderr: "pipe", env: { ...process.env, LC_ALL: "C" } },
  );
  if (init.exitCode !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${init.stderr.toString().slice(-2000)}`);
  }
  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let server: Subprocess | undefined;
  const stop = async () => {
    // Killing runuser would leave the postmaster running: pg_ctl stops the server itself.
    Bun.spawnSync(command("pg_ctl", "-D", data, "stop", "-m", "immediate"), {
      stdout: "ignore",
      stderr: "ignore",
    });
    if (server && server.exitCode === null) server.kill("SIGKILL");
    await server?.exited;
    server = undefined;
  };
  const launch = async () => {
    const spawned = Bun.spawn(
      command(
        "postgres",
        ...["-D", data, "-p", String(port), "-k", dir],
        ...["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=50"],
      ),
      { stdin: "ignore", stdout: "pipe", stderr: "pipe" },
    );
    server = spawned;
    let output = "";
    void new Response(spawned.stderr as ReadableStream).text().then((text) => {
      output += text;
    });
    const deadline = Date.now() + 20_000;
    while (true) {
      if (await answers(url)) return;
      if (spawned.exitCode !== null || Date.now() > deadline) {
        await stop();
        throw new Error(`postgres did not become ready on port ${port}: ${output.slice(-2000)}`);
      }
      await Bun.sleep(50);
    }
  };
  try {
    await launch();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    port,
    url,
    stop,
    start: launch,
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** 15 when installed, else the newest version Debian's packages put in /usr/lib/postgresql. */
function debianPostgresBin(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((name) => /^\d+$/.test(name))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const version = versions.includes("15") ? "15" : (versions[0] ?? "15");
  return join(root, version, "bin");
}

async function answers(url: string): Promise<boolean> {
  const sql = new SQL(url, { max: 1, connectionTimeout: 1, idleTimeout: 1 });
  try {
    await sql`select 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.close().catch(() => {});
  }
}
