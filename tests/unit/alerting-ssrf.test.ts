import { describe, expect, test } from "bun:test";
import {
  isPrivateAddress,
  UnsafeWebhookError,
  WebhookGuard,
} from "../../services/alerting/ssrf-guard.ts";

/** DNS as the test says: names to addresses. */
const resolver = (names: Record<string, string[]>) => async (host: string) => {
  const addresses = names[host];
  if (!addresses) throw Object.assign(new Error("not found"), { code: "ENOTFOUND" });
  return addresses;
};
const dns = resolver({
  "hooks.example.com": ["93.184.216.34", "2606:2800:220:1::1"],
  "rebind.example.com": ["93.184.216.34", "10.1.2.3"],
  "metadata.example.com": ["169.254.169.254"],
  "loop6.example.com": ["::1"],
  "mapped.example.com": ["::ffff:127.0.0.1"],
});
const guard = new WebhookGuard(false, dns);

async function refusal(url: string): Promise<string> {
  try {
    await guard.check(url);
  } catch (error) {
    expect(error).toBeInstanceOf(UnsafeWebhookError);
    return (error as Error).message;
  }
  throw new Error(`${url} was allowed`);
}

describe("the SSRF guard", () => {
  test.each([
    "http://127.0.0.1/hook",
    "http://10.0.0.1/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]:8080/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:a00:1]/hook",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://0.0.0.0/",
    "http://[fd00::1]/",
    "http://[fe80::1]/",
  ])("refuses %s", async (url) => {
    expect(await refusal(url)).toContain("loopback, link-local or private");
  });

  test("refuses a host name that resolves to an internal address, any of them", async () => {
    expect(await refusal("https://metadata.example.com/")).toContain("169.254.169.254");
    expect(await refusal("https://rebind.example.com/")).toContain("10.1.2.3");
    expect(await refusal("https://loop6.example.com/")).toContain("::1");
    expect(await refusal("https://mapped.example.com/")).toContain("::ffff:127.0.0.1");
  });

  test("refuses schemes other than http and https, credentials, names that do not resolve", async () => {
    expect(await refusal("ftp://hooks.example.com/")).toContain("only http and https");
    expect(await refusal("file:///etc/passwd")).toContain("only http and https");
    expect(await refusal("https://user:pw@hooks.example.com/")).toContain("credentials");
    expect(await refusal("not a url")).toContain("not a valid");
    expect(await refusal("https://nowhere.example.com/")).toContain("ENOTFOUND");
  });

  test("allows public addresses and names", async () => {
    expect((await guard.check("https://hooks.example.com/x")).host).toBe("hooks.example.com");
    expect((await guard.check("http://93.184.216.34:8080/")).port).toBe("8080");
  });

  test("ALLOW_PRIVATE_WEBHOOKS lets internal addresses through, but never another scheme", async () => {
    const open = new WebhookGuard(true, dns);
    expect((await open.check("http://127.0.0.1:9/")).hostname).toBe("127.0.0.1");
    expect(open.check("gopher://127.0.0.1/")).rejects.toThrow("only http and https");
  });

  test("public addresses are not mistaken for private ones", () => {
    expect(isPrivateAddress("8.8.8.8")).toBe(false);
    expect(isPrivateAddress("2001:4860:4860::8888")).toBe(false);
    expect(isPrivateAddress("::ffff:8.8.8.8")).toBe(false);
    expect(isPrivateAddress("172.32.0.1")).toBe(false);
    expect(isPrivateAddress("not-an-ip")).toBe(true);
  });
});
