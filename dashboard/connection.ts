import { type ClientMessage, parseFrame, type ServerFrame } from "./protocol.ts";

export type ConnectionStatus = "Connected" | "Reconnecting" | "Disconnected";

export interface ConnectionEvents {
  status(status: ConnectionStatus): void;
  /** The socket is open: (re)send what the server should know of this dashboard. */
  open(): void;
  frame(frame: ServerFrame): void;
  /** The last log position this dashboard saw: a reconnection resumes from it. */
  position(): number | undefined;
  /** The server refused the token; the connection has stopped. */
  refused(): void;
}

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 15_000 };
/** With no frame for this long, send a ping; with none for twice as long, the link is dead. */
const QUIET_MS = 25_000;

/**
 * Exponential backoff with "equal jitter": half the delay fixed, half random, so dashboards
 * dropped together by a restart do not all come back in the same instant.
 */
export function reconnectDelay(
  attempt: number,
  options: BackoffOptions = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** attempt);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * `batch=1`: this dashboard takes `visitor_batch` frames, so past its frame budget the server
 * coalesces events (at most WS_MAX_FRAMES_PER_SECOND frames a second, none lost) instead of
 * sending each one as its own frames. `since=<position>`: the last log position it saw, so the
 * server first sends what it missed while away (or `resync` when that is too much).
 */
export function socketUrl(token: string, since?: number): string {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const resume = since === undefined ? "" : `&since=${since}`;
  return `${scheme}://${location.host}/ws?token=${encodeURIComponent(token)}&batch=1${resume}`;
}

/**
 * One dashboard's WebSocket: connects, reconnects with backoff until stopped, and tells a refused
 * token from a server that is away.
 */
export class DashboardConnection {
  private socket: WebSocket | undefined;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private lastFrameAt = 0;
  private stopped = false;
  private readonly onOnline = () => {
    if (this.retryTimer !== undefined) this.retryNow();
  };

  constructor(
    private readonly token: string,
    private readonly events: ConnectionEvents,
    private readonly backoff: BackoffOptions = DEFAULT_BACKOFF,
  ) {}

  start(): void {
    this.stopped = false;
    window.addEventListener("online", this.onOnline);
    this.connect();
  }

  stop(status: ConnectionStatus = "Disconnected"): void {
    this.stopped = true;
    window.removeEventListener("online", this.onOnline);
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.stopHeartbeat();
    const socket = this.socket;
    this.socket = undefined;
    if (socket) {
      socket.onclose = null;
      socket.close(1000, "dashboard closed");
    }
    this.events.status(status);
  }

  /** False when not connected: the caller's `open` handler re-sends what matters. */
  send(message: ClientMessage): boolean {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(message));
    return true;
  }

  private connect(): void {
    this.retryTimer = undefined;
    let receivedFrame = false;
    const socket = new WebSocket(socketUrl(this.token, this.events.position()));
    this.socket = socket;

    socket.onopen = () => {
      this.lastFrameAt = Date.now();
      this.events.status("Connected");
      this.startHeartbeat();
      this.events.open();
    };
    socket.onmessage = (message) => {
      this.lastFrameAt = Date.now();
      if (!receivedFrame) {
        receivedFrame = true;
        // Only a connection the server actually served resets the backoff.
        this.attempt = 0;
      }
      const frame = parseFrame(message.data);
      if (!frame) return;
      // The server is going away; its close follows, then we come back.
      if (frame.type === "shutdown") this.events.status("Reconnecting");
      this.events.frame(frame);
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.stopHeartbeat();
      if (this.stopped) return;
      this.events.status("Reconnecting");
      if (receivedFrame) this.scheduleRetry();
      else void this.checkTokenThenRetry();
    };
  }

  /**
   * A browser sees a refused upgrade (401) only as a close before any frame, exactly as it sees
   * a server that is down. One authenticated request tells the two apart.
   */
  private async checkTokenThenRetry(): Promise<void> {
    let refused = false;
    try {
      const response = await fetch("/api/analytics/summary", {
        headers: { authorization: `Bearer ${this.token}` },
        cache: "no-store",
      });
      refused = response.status === 401;
    } catch {
      // Unreachable: the server is away, not refusing.
    }
    if (this.stopped) return;
    if (refused) {
      this.stop("Disconnected");
      this.events.refused();
      return;
    }
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer !== undefined) return;
    const delay = reconnectDelay(this.attempt++, this.backoff);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private retryNow(): void {
    clearTimeout(this.retryTimer);
    this.connect();
  }

  private startHeartbeat(): void {
    this.stopHeartbeat();
    this.heartbeat = setInterval(() => {
      const socket = this.socket;
      if (!socket) return;
      const quiet = Date.now() - this.lastFrameAt;
      if (quiet > 2 * QUIET_MS) {
        // No answer even to our ping: drop it and reconnect rather than wait for TCP to notice.
        socket.onclose = null;
        socket.close();
        this.socket = undefined;
        this.stopHeartbeat();
        this.events.status("Reconnecting");
        this.scheduleRetry();
      } else if (quiet > QUIET_MS) {
        this.send({ type: "ping" });
      }
    }, QUIET_MS / 2);
  }

  private stopHeartbeat(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}
