import { Database } from "bun:sqlite";
import { afterAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { pageview, startTestServer, temporaryDataDir } from "../support/server.ts";

const dir = temporaryDataDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("`bun run backup` copies the database consistently while the server keeps running", async () => {
  const server = startTestServer({ DATA_DIR: dir });
  try {
    for (let index = 0; index < 20; index++)
      await server.postEvent(pageview(`b-${index}`, "/backup"));
    const destination = join(dir, "copy.db");
    const backup = Bun.spawn([process.execPath, "scripts/backup.ts", destination], {
      cwd: join(import.meta.dir, "..", ".."),
      env: { PATH: process.env.PATH ?? "", DATA_DIR: dir },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(await backup.exited).toBe(0);
    expect(await new Response(backup.stdout).text()).toContain(destination);
    expect((await server.postEvent(pageview("after-backup"))).status).toBe(201);

    const copy = new Database(destination, { readonly: true });
    expect(copy.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
    expect(copy.query("SELECT COUNT(*) AS count FROM events").get()).toEqual({ count: 20 });
    copy.close();
  } finally {
    await server.stop();
  }
});
