import { join } from "node:path";
import type { Subprocess } from "bun";

/** Drives bench/lib/dashboards.ts: N real WebSocket dashboards in their own process. */
export class DashboardFleet {
  private buffer = "";
  private readonly lines: string[] = [];
  private waiting: ((line: string) => void) | undefined;

  private constructor(private readonly child: Subprocess<"pipe", "pipe", "inherit">) {
    void this.read();
  }

  static async start(wsUrl: string, count: number): Promise<DashboardFleet> {
    const child = Bun.spawn(
      [process.execPath, join(import.meta.dir, "dashboards.ts"), wsUrl, String(count)],
      {
        stdin: "pipe",
        stdout: "pipe",
        stderr: "inherit",
      },
    );
    const fleet = new DashboardFleet(child);
    const ready = await fleet.nextLine();
    if (!ready.startsWith("READY")) throw new Error(`dashboards did not connect: ${ready}`);
    return fleet;
  }

  async report(sent: number): Promise<Record<string, number>> {
    this.send(`report ${sent}`);
    return JSON.parse(await this.nextLine()) as Record<string, number>;
  }

  async reset(): Promise<void> {
    this.send("reset");
    await this.nextLine();
  }

  async stop(): Promise<void> {
    this.send("exit");
    await this.child.exited;
  }

  private send(line: string): void {
    this.child.stdin.write(`${line}\n`);
    this.child.stdin.flush();
  }

  private nextLine(): Promise<string> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  private async read(): Promise<void> {
    const reader = this.child.stdout.getReader();
    const decoder = new TextDecoder();
    while (true) {
      const { done, value } = await reader.read();
      if (done) return;
      this.buffer += decoder.decode(value);
      let newline = this.buffer.indexOf("\n");
      while (newline >= 0) {
        const line = this.buffer.slice(0, newline);
        this.buffer = this.buffer.slice(newline + 1);
        if (this.waiting) {
          const resolve = this.waiting;
          this.waiting = undefined;
          resolve(line);
        } else this.lines.push(line);
        newline = this.buffer.indexOf("\n");
      }
    }
  }
}
