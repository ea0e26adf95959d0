import { BlockList, isIP } from "node:net";
import type { Context } from "hono";
import type { TrustProxy } from "../config/index.ts";
import type { AppEnv } from "../interfaces/app-env.ts";

/** Which hops of a forwarding chain are proxies of ours. `hop` 0 is the socket peer. */
export interface ProxyTrust {
  /** True when some proxy is trusted at all (otherwise forwarding headers are never read). */
  readonly any: boolean;
  trusts(address: string, hop: number): boolean;
}

/** TRUST_PROXY as a predicate: the `hops` nearest addresses, or those in `addresses` (CIDR). */
export function proxyTrust(trust: TrustProxy): ProxyTrust {
  if (trust.addresses.length === 0) {
    return { any: trust.hops > 0, trusts: (_address, hop) => hop < trust.hops };
  }
  const list = new BlockList();
  for (const entry of trust.addresses) {
    const [address = "", bits] = entry.split("/");
    const family = isIP(address) === 6 ? "ipv6" : "ipv4";
    if (bits === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(bits), family);
  }
  return {
    any: true,
    trusts: (address) => {
      const family = isIP(address);
      return family !== 0 && list.check(address, family === 6 ? "ipv6" : "ipv4");
    },
  };
}

/**
 * The client of a forwarding chain (X-Forwarded-For entries, then the socket peer), as Express's
 * `trust proxy` reads it: walk from the right past trusted proxies; the first untrusted address
 * is the client; if every hop is trusted, the leftmost. The left end is whatever the client
 * sent, so it is believed only when the proxies in front of it are.
 */
export function clientAddress(chain: readonly string[], trust: ProxyTrust): string {
  for (let hop = 0; hop < chain.length; hop++) {
    const address = chain[chain.length - 1 - hop] as string;
    if (!trust.trusts(address, hop)) return address;
  }
  return chain[0] ?? "unknown";
}

const trustOfConfig = new WeakMap<TrustProxy, ProxyTrust>();

/**
 * The client's address, for rate limiting and the tracker's lookups (it is never logged or
 * stored), resolved on the first read and kept on the context: a request no reader asks about
 * (events without a rate limit) never pays Bun's `requestIP`. X-Forwarded-For and
 * CLIENT_IP_HEADER are read only when the socket peer is a trusted proxy.
 */
export function clientIpOf<E extends AppEnv>(c: Context<E>): string {
  const known: string | undefined = c.get("clientIp");
  if (known !== undefined) return known;
  const { trustProxy, clientIpHeader } = c.get("services").config;
  let trust = trustOfConfig.get(trustProxy);
  if (trust === undefined) {
    trust = proxyTrust(trustProxy);
    trustOfConfig.set(trustProxy, trust);
  }
  const peer = c.env?.server?.requestIP(c.req.raw)?.address || "unknown";
  let ip = peer;
  if (trust.any && trust.trusts(peer, 0)) {
    const fromHeader = clientIpHeader ? c.req.header(clientIpHeader)?.trim() : undefined;
    if (fromHeader) ip = fromHeader;
    else {
      const forwarded = (c.req.header("x-forwarded-for") ?? "")
        .split(",")
        .map((entry) => entry.trim())
        .filter(Boolean);
      ip = clientAddress([...forwarded, peer], trust);
    }
  }
  c.set("clientIp", ip);
  return ip;
}
