import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";

/** Debian's redis-server (apt-get install redis-server); `.ci/run` installs it. */
export const REDIS_SERVER_PATH =
  process.env.REDIS_SERVER_PATH ?? Bun.which("redis-server") ?? "/usr/bin/redis-server";
export const hasRedis = existsSync(REDIS_SERVER_PATH);

/** CI must run the cluster tests: there a missing redis-server fails, never a quiet skip. */
export const clusterRequired = Boolean(process.env.CI) && process.env.CI !== "false";

if (!hasRedis && clusterRequired) {
  throw new Error(
    `CI is set but there is no redis-server at ${REDIS_SERVER_PATH}: the cluster tests cannot be skipped in CI (apt-get install redis-server, or set REDIS_SERVER_PATH).`,
  );
}
if (!hasRedis) {
  console.warn(
    `Cluster tests skipped: no redis-server at ${REDIS_SERVER_PATH} (apt-get install redis-server). CI installs it.`,
  );
}

/** A port nobody listens on now (the OS picks it; a tiny race with other processes remains). */
export async function freePort(): Promise<number> {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = probe;
  probe.stop(true);
  return port;
}

/** A real redis-server on its own port and directory, AOF on (`appendfsync always`), no RDB. */
export interface RedisProcess {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** SIGKILL, as a crash: whatever the AOF holds is what a restart finds. */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory (the AOF is replayed); waits until ready. */
  restart(): Promise<void>;
  /** Kills it if running and removes its directory. */
  dispose(): Promise<void>;
}

/**
 * Starts redis-server and waits until it answers PING (after loading its AOF); with `replicaOf`,
 * as a replica of the server on that port.
 */
export async function startRedis(options: { replicaOf?: number } = {}): Promise<RedisProcess> {
  const dir = mkdtempSync(join(tmpdir(), "footfall-redis-"));
  const port = await freePort();
  let child: Subprocess | undefined;
  let output = "";
  const launch = async () => {
    output = "";
    const spawned = Bun.spawn(
      [
        REDIS_SERVER_PATH,
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        dir,
        "--appendonly",
        "yes",
        // Written and fsynced before Redis answers: a killed Redis keeps every acknowledged event.
        // (everysec may postpone the write itself while a slow fsync runs: up to 2 s lost on a kill.)
        "--appendfsync",
        "always",
        "--save",
        "",
        "--daemonize",
        "no",
        "--logfile",
        "",
        ...(options.replicaOf ? ["--replicaof", "127.0.0.1", String(options.replicaOf)] : []),
      ],
      { stdin: "ignore", stdout: "pipe", stderr: "pipe" },
    );
    child = spawned;
    void new Response(spawned.stdout).text().then((text) => {
      output += text;
    });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (spawned.exitCode !== null) break;
      if (await answersPing(port)) return;
      await Bun.sleep(25);
    }
    spawned.kill("SIGKILL");
    throw new Error(`redis-server did not become ready on port ${port}: ${output.slice(-2000)}`);
  };
  const kill = async () => {
    if (!child) return;
    if (child.exitCode === null) child.kill("SIGKILL");
    await child.exited;
    child = undefined;
  };
  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    kill,
    async restart() {
      await kill();
      await launch();
    },
    async dispose() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One PING over a raw socket: true on `+PONG` (not while the server still loads its AOF). */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (value: boolean) => {
      if (settled) return;
      settled = true;
      resolve(value);
    };
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open(socket) {
          socket.write("PING\r\n");
        },
        data(socket, chunk) {
          settle(new TextDecoder().decode(chunk).startsWith("+PONG"));
          socket.end();
        },
        close: () => settle(false),
        error: () => settle(false),
        connectError: () => settle(false),
      },
    }).catch(() => settle(false));
    setTimeout(() => settle(false), 1000);
  });
}
