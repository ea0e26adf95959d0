import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

/** Why a webhook address was refused: a message for the API's 400 and the delivery log. */
export class UnsafeWebhookError extends Error {
  override readonly name = "UnsafeWebhookError";
}

/** Every address of a host name (node:dns's lookup by default; unit tests inject their own). */
export type Resolver = (hostname: string) => Promise<string[]>;

export const systemResolver: Resolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);

/**
 * Where a token holder must not make the server send requests: this host, the private networks
 * behind it and the cloud metadata service (link-local), IPv4 and IPv6 alike.
 */
const BLOCKED = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8], // "this network"; 0.0.0.0 reaches the local host
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8],
  ["169.254.0.0", 16], // link-local, the metadata service at 169.254.169.254
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15], // benchmarking
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved and broadcast
] as const) {
  BLOCKED.addSubnet(network, prefix, "ipv4");
}
for (const [network, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7], // unique local
  ["fe80::", 10], // link-local
  ["ff00::", 8], // multicast
  ["64:ff9b::", 96], // NAT64 embeds an IPv4 address
  ["2002::", 16], // 6to4 embeds one too
] as const) {
  BLOCKED.addSubnet(network, prefix, "ipv6");
}

/** The IPv4 address an IPv6 one carries (`::ffff:10.0.0.1`, `::ffff:a00:1`), if any. */
function embeddedIpv4(address: string): string | undefined {
  const mapped = /^::ffff:(?:0:)?(.+)$/i.exec(address);
  if (!mapped?.[1]) return undefined;
  const rest = mapped[1];
  if (isIP(rest) === 4) return rest;
  const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(rest);
  if (!hex?.[1] || !hex[2]) return undefined;
  const high = Number.parseInt(hex[1], 16);
  const low = Number.parseInt(hex[2], 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join(".");
}

/** Whether an IP address is in a loopback, private, link-local or otherwise internal range. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return BLOCKED.check(address, "ipv4");
  if (family !== 6) return true; // not an address at all: refuse rather than guess
  const ipv4 = embeddedIpv4(address);
  if (ipv4 !== undefined) return BLOCKED.check(ipv4, "ipv4");
  return BLOCKED.check(address, "ipv6");
}

/**
 * Refuses webhook URLs a receiver should not have: anything but http and https, credentials in
 * the URL, and (unless private addresses are allowed) a host that is, or resolves to, an
 * internal address. Every resolved address must be public: a name with one private address
 * among public ones is refused too. Returns the URL, parsed.
 */
export class WebhookGuard {
  constructor(
    private readonly allowPrivate: boolean,
    private readonly resolve: Resolver = systemResolver,
  ) {}

  /** The checks needing no network: scheme, credentials, a literal internal address. */
  checkSyntax(raw: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new UnsafeWebhookError("the webhook URL is not a valid absolute URL");
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new UnsafeWebhookError(`only http and https webhooks are allowed, not ${url.protocol}`);
    }
    if (url.username !== "" || url.password !== "") {
      throw new UnsafeWebhookError("the webhook URL must not carry credentials");
    }
    const host = hostOf(url);
    if (!this.allowPrivate && isIP(host) !== 0 && isPrivateAddress(host)) {
      throw refusal(host);
    }
    return url;
  }

  /** All the checks, the host name resolved: at creation and again before every attempt. */
  async check(raw: string): Promise<URL> {
    const url = this.checkSyntax(raw);
    if (this.allowPrivate) return url;
    const host = hostOf(url);
    if (isIP(host) !== 0) return url;
    let addresses: string[];
    try {
      addresses = await this.resolve(host);
    } catch (error) {
      throw new UnsafeWebhookError(
        `the webhook host ${host} does not resolve (${errorText(error)})`,
      );
    }
    if (addresses.length === 0)
      throw new UnsafeWebhookError(`the webhook host ${host} has no address`);
    const internal = addresses.find(isPrivateAddress);
    if (internal !== undefined) throw refusal(`${host} (${internal})`);
    return url;
  }
}

function hostOf(url: URL): string {
  // `new URL("http://[::1]/").hostname` is "[::1]".
  return url.hostname.replace(/^\[(.*)\]$/, "$1");
}

function refusal(what: string): UnsafeWebhookError {
  return new UnsafeWebhookError(
    `the webhook address ${what} is loopback, link-local or private: refused (ALLOW_PRIVATE_WEBHOOKS=true allows it)`,
  );
}

function errorText(error: unknown): string {
  return error instanceof Error
    ? ((error as { code?: string }).code ?? error.message)
    : String(error);
}
