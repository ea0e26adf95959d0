import { BlockList, isIP } from "node:net";
import { createMiddleware } from "hono/factory";
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

/**
 * The client's address, for rate limiting only (it is never logged or stored). X-Forwarded-For
 * and CLIENT_IP_HEADER are read only when the socket peer is a trusted proxy.
 */
export function clientIpMiddleware(trustProxy: TrustProxy, clientIpHeader: string | undefined) {
  const trust = proxyTrust(trustProxy);
  return createMiddleware<AppEnv>(async (c, next) => {
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
    await next();
  });
}
