/**
 * Live dashboards for the soak: real WebSockets that parse every frame, half of them asking for
 * detailed stats every 5 s as the dashboard page does. Every other one asks for coalesced frames
 * (`batch=1`, as Footfall's dashboard does); the rest get every event as its own frame, as the
 * earlier system's dashboard does.
 */
const DETAILED_STATS_EVERY_MS = 5_000;
const COUNTRIES = ["US", "IN", "DE", "GB"];

export class Dashboards {
  frames = 0;
  detailedStats = 0;
  errorFrames = 0;
  /** Closes the soak did not ask for, with their codes. */
  readonly disconnects: string[] = [];
  private readonly sockets: WebSocket[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;
  private closing = false;

  static async connect(wsUrl: string, count: number): Promise<Dashboards> {
    const dashboards = new Dashboards();
    await Promise.all(
      Array.from({ length: count }, (_, index) =>
        dashboards.connectOne(index % 2 === 0 ? `${wsUrl}&batch=1` : wsUrl),
      ),
    );
    let round = 0;
    dashboards.timer = setInterval(() => dashboards.requestStats(round++), DETAILED_STATS_EVERY_MS);
    return dashboards;
  }

  get openCount(): number {
    return this.sockets.filter((socket) => socket.readyState === WebSocket.OPEN).length;
  }

  close(): void {
    this.closing = true;
    clearInterval(this.timer);
    for (const socket of this.sockets) socket.close(1000, "soak over");
  }

  private connectOne(wsUrl: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(wsUrl);
      socket.addEventListener("open", () => resolve(), { once: true });
      socket.addEventListener("error", () => reject(new Error(`cannot connect to ${wsUrl}`)), {
        once: true,
      });
      socket.addEventListener("close", (event) => {
        if (!this.closing) this.disconnects.push(`${event.code} ${event.reason}`.trim());
      });
      socket.addEventListener("message", (message) => {
        this.frames++;
        const frame = JSON.parse(String(message.data)) as { type?: string };
        if (frame.type === "detailed_stats_response") this.detailedStats++;
        else if (frame.type === "error") this.errorFrames++;
      });
      this.sockets.push(socket);
    });
  }

  /** Even-numbered dashboards ask, alternately for everything and for one country. */
  private requestStats(round: number): void {
    this.sockets.forEach((socket, index) => {
      if (index % 2 !== 0 || socket.readyState !== WebSocket.OPEN) return;
      const filter = round % 2 === 0 ? {} : { country: COUNTRIES[index % COUNTRIES.length] };
      socket.send(JSON.stringify({ type: "request_detailed_stats", data: { filter } }));
    });
  }
}
