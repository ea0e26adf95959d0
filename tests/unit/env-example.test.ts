import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { envSchema } from "../../config/env-schema.ts";
import { ConfigError, loadConfig } from "../../config/index.ts";

const ROOT = join(import.meta.dir, "..", "..");

function exampleVariables(): Map<string, string> {
  const text = readFileSync(join(ROOT, ".env.example"), "utf8");
  const variables = new Map<string, string>();
  for (const line of text.split("\n")) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match) variables.set(match[1] as string, match[2] as string);
  }
  return variables;
}

describe("configuration", () => {
  test(".env.example lists every variable the schema reads, and nothing else", () => {
    expect([...exampleVariables().keys()].sort()).toEqual(Object.keys(envSchema.shape).sort());
  });

  test("the values in .env.example are the defaults: loading them equals loading nothing", () => {
    const fromExample = loadConfig(Object.fromEntries(exampleVariables()));
    expect(fromExample).toEqual(loadConfig({}));
  });

  test("the configuration page's table names every variable", () => {
    const page = readFileSync(join(ROOT, "docs", "configuration.md"), "utf8");
    for (const name of Object.keys(envSchema.shape)) expect(page).toContain(`| \`${name}\``);
  });

  test("the documented defaults", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      host: "0.0.0.0",
      dataDir: "./data",
      corsOrigins: "*",
      compatPublicReads: false,
      sessionTimeoutMs: 30 * 60_000,
      cleanupIntervalMs: 60 * 60_000,
      alertThreshold: 10,
      alertCooldownMs: 60_000,
      rateLimitPerMinute: 100,
      trustProxy: { hops: 0, addresses: [] },
      clientIpHeader: undefined,
      geoipDatabase: undefined,
      countryHeader: undefined,
      websocketPort: undefined,
      logLevel: "info",
      apiToken: undefined,
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.limits)).toBe(true);
  });

  test("minutes and seconds accept decimals", () => {
    const config = loadConfig({ SESSION_TIMEOUT_MINUTES: "0.05", ALERT_COOLDOWN_SECONDS: "1.5" });
    expect(config.sessionTimeoutMs).toBe(3000);
    expect(config.alertCooldownMs).toBe(1500);
  });

  test("an invalid value is refused with the variable's name and what it expects", () => {
    const attempt = () => loadConfig({ PORT: "99999", TRUST_PROXY: "maybe", API_TOKEN: "short" });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const message = (error as ConfigError).message;
      expect(message).toContain('PORT="99999": expected a whole number of at most 65535');
      expect(message).toContain('TRUST_PROXY="maybe": expected true, false, a number of proxies');
      expect(message).toContain("API_TOKEN (value not shown): expected at least 16 characters");
      expect(message).not.toContain("short");
    }
  });

  test("TRUST_PROXY takes true (one proxy), a number of proxies, or proxy addresses and ranges", () => {
    expect(loadConfig({ TRUST_PROXY: "true" }).trustProxy).toEqual({ hops: 1, addresses: [] });
    expect(loadConfig({ TRUST_PROXY: "2" }).trustProxy).toEqual({ hops: 2, addresses: [] });
    expect(loadConfig({ TRUST_PROXY: "10.0.0.1, 192.168.0.0/16,::1" }).trustProxy).toEqual({
      hops: 0,
      addresses: ["10.0.0.1", "192.168.0.0/16", "::1"],
    });
    expect(() => loadConfig({ TRUST_PROXY: "10.0.0.0/33" })).toThrow(ConfigError);
  });

  test("COMPAT_PUBLIC_READS takes true or false", () => {
    expect(loadConfig({ COMPAT_PUBLIC_READS: "true" }).compatPublicReads).toBe(true);
    expect(loadConfig({ COMPAT_PUBLIC_READS: "FALSE" }).compatPublicReads).toBe(false);
    expect(() => loadConfig({ COMPAT_PUBLIC_READS: "sometimes" })).toThrow(
      'COMPAT_PUBLIC_READS="sometimes": expected true or false',
    );
  });

  test("CORS_ORIGINS takes a comma-separated list", () => {
    expect(
      loadConfig({ CORS_ORIGINS: "https://a.example, https://b.example" }).corsOrigins,
    ).toEqual(["https://a.example", "https://b.example"]);
  });
});
