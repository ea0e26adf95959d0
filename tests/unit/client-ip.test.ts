import { describe, expect, test } from "bun:test";
import { Hono } from "hono";
import type { AppEnv } from "../../interfaces/app-env.ts";
import { clientAddress, clientIpOf, proxyTrust } from "../../middlewares/client-ip.ts";

const none = proxyTrust({ hops: 0, addresses: [] });
const oneHop = proxyTrust({ hops: 1, addresses: [] });
const twoHops = proxyTrust({ hops: 2, addresses: [] });
const ranges = proxyTrust({ hops: 0, addresses: ["127.0.0.1", "10.0.0.0/8", "fd00::/8"] });

describe("clientAddress", () => {
  test("with no trusted proxy the client is the socket peer, whatever X-Forwarded-For says", () => {
    expect(clientAddress(["198.51.100.1", "127.0.0.1"], none)).toBe("127.0.0.1");
  });

  test("behind one proxy the client is the rightmost entry the proxy appended, not a forged leftmost", () => {
    expect(clientAddress(["6.6.6.6", "203.0.113.7", "127.0.0.1"], oneHop)).toBe("203.0.113.7");
    expect(clientAddress(["203.0.113.7", "127.0.0.1"], oneHop)).toBe("203.0.113.7");
  });

  test("behind two proxies the client is two hops from the right", () => {
    expect(clientAddress(["6.6.6.6", "203.0.113.7", "10.0.0.2", "127.0.0.1"], twoHops)).toBe(
      "203.0.113.7",
    );
  });

  test("when the chain runs out the leftmost address is the client", () => {
    expect(clientAddress(["127.0.0.1"], oneHop)).toBe("127.0.0.1");
    expect(clientAddress(["203.0.113.7", "127.0.0.1"], twoHops)).toBe("203.0.113.7");
    expect(clientAddress(["10.0.0.9", "127.0.0.1"], ranges)).toBe("10.0.0.9");
  });

  test("with addresses, trusted hops are skipped from the right and the first untrusted one is the client", () => {
    expect(clientAddress(["6.6.6.6", "203.0.113.7", "10.1.2.3", "127.0.0.1"], ranges)).toBe(
      "203.0.113.7",
    );
    expect(clientAddress(["2001:db8::1", "fd12:3456::1", "127.0.0.1"], ranges)).toBe("2001:db8::1");
  });

  test("with addresses, an untrusted peer is the client and its X-Forwarded-For is ignored", () => {
    expect(clientAddress(["10.1.2.3", "203.0.113.50"], ranges)).toBe("203.0.113.50");
  });

  test("an entry that is not an address is never trusted", () => {
    expect(clientAddress(["6.6.6.6", "not-an-ip", "127.0.0.1"], ranges)).toBe("not-an-ip");
  });
});

describe("proxyTrust", () => {
  test("matches IPv4 and IPv6 addresses and CIDR ranges, IPv4-mapped IPv6 included", () => {
    expect(ranges.trusts("127.0.0.1", 0)).toBe(true);
    expect(ranges.trusts("127.0.0.2", 0)).toBe(false);
    expect(ranges.trusts("10.255.0.1", 5)).toBe(true);
    expect(ranges.trusts("11.0.0.1", 0)).toBe(false);
    expect(ranges.trusts("fd00::1", 0)).toBe(true);
    expect(ranges.trusts("FD99:1::2", 0)).toBe(true);
    expect(ranges.trusts("fe80::1", 0)).toBe(false);
    expect(ranges.trusts("::ffff:10.1.2.3", 0)).toBe(true);
    expect(ranges.trusts("", 0)).toBe(false);
  });

  test("hops trust the nearest N addresses whatever they are", () => {
    expect(twoHops.trusts("8.8.8.8", 0)).toBe(true);
    expect(twoHops.trusts("8.8.8.8", 1)).toBe(true);
    expect(twoHops.trusts("8.8.8.8", 2)).toBe(false);
    expect(none.trusts("127.0.0.1", 0)).toBe(false);
  });

  test("an IPv4 range does not match IPv6 addresses", () => {
    const v6 = proxyTrust({ hops: 0, addresses: ["::/0"] });
    const v4 = proxyTrust({ hops: 0, addresses: ["0.0.0.0/0"] });
    expect(v6.trusts("2001:db8::1", 0)).toBe(true);
    expect(v4.trusts("192.0.2.1", 0)).toBe(true);
    expect(v4.trusts("2001:db8::1", 0)).toBe(false);
  });
});

describe("clientIpOf", () => {
  /** A Hono app whose route reads the client's address `reads` times, behind `trustProxy`. */
  function appReading(reads: number, trustProxy: { hops: number; addresses: string[] }) {
    const app = new Hono<AppEnv>();
    const config = { trustProxy, clientIpHeader: undefined };
    app.use(async (c, next) => {
      c.set("services", { config } as unknown as AppEnv["Variables"]["services"]);
      await next();
    });
    app.get("/", (c) => c.text(Array.from({ length: reads }, () => clientIpOf(c)).join(" ")));
    return app;
  }

  function peerServer(address: string) {
    let calls = 0;
    const server = {
      requestIP: () => {
        calls++;
        return { address, family: "IPv4", port: 40000 };
      },
    };
    return { env: { server }, calls: () => calls };
  }

  test("asks Bun for the peer once however often it is read, and never when it is not", async () => {
    const peer = peerServer("198.51.100.4");
    const app = appReading(3, { hops: 0, addresses: [] });
    expect(await (await app.request("/", {}, peer.env)).text()).toBe(
      "198.51.100.4 198.51.100.4 198.51.100.4",
    );
    expect(peer.calls()).toBe(1);
    await appReading(0, { hops: 0, addresses: [] }).request("/", {}, peer.env);
    expect(peer.calls()).toBe(1);
  });

  test("reads X-Forwarded-For only behind a trusted proxy", async () => {
    const headers = { "x-forwarded-for": "6.6.6.6, 203.0.113.7" };
    const trusted = appReading(1, { hops: 1, addresses: [] });
    const direct = appReading(1, { hops: 0, addresses: [] });
    const peer = peerServer("127.0.0.1");
    expect(await (await trusted.request("/", { headers }, peer.env)).text()).toBe("203.0.113.7");
    expect(await (await direct.request("/", { headers }, peer.env)).text()).toBe("127.0.0.1");
  });

  test("is unknown without a server to ask", async () => {
    const app = appReading(1, { hops: 0, addresses: [] });
    expect(await (await app.request("/")).text()).toBe("unknown");
  });
});
