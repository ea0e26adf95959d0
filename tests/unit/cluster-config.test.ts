import { describe, expect, test } from "bun:test";
import { ConfigError, loadConfig } from "../../config/index.ts";

const TOKEN = "a-token-of-16-characters";

describe("cluster configuration", () => {
  test("without REDIS_URL and DATABASE_URL there is no cluster", () => {
    expect(loadConfig({}).cluster).toBeUndefined();
  });

  test("with both, cluster mode is on with the documented defaults", () => {
    const config = loadConfig({
      REDIS_URL: "redis://127.0.0.1:6379",
      DATABASE_URL: "postgres://postgres@127.0.0.1/footfall",
      API_TOKEN: TOKEN,
    });
    expect(config.cluster).toEqual({
      redisUrl: "redis://127.0.0.1:6379",
      databaseUrl: "postgres://postgres@127.0.0.1/footfall",
      minReplicas: 0,
      streamKey: "footfall:events",
      trimMarginMs: 600_000,
      claimIdleMs: 30_000,
    });
  });

  test("one without the other is refused, naming both", () => {
    expect(() => loadConfig({ REDIS_URL: "redis://127.0.0.1:6379", API_TOKEN: TOKEN })).toThrow(
      "REDIS_URL is set but DATABASE_URL is not",
    );
    expect(() => loadConfig({ DATABASE_URL: "postgres://h/db", API_TOKEN: TOKEN })).toThrow(
      "DATABASE_URL is set but REDIS_URL is not",
    );
  });

  test("cluster mode requires API_TOKEN", () => {
    const attempt = () =>
      loadConfig({ REDIS_URL: "redis://127.0.0.1:6379", DATABASE_URL: "postgres://h/db" });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow("API_TOKEN is required in cluster mode");
  });

  test("a URL of the wrong kind is refused without echoing it (it may hold a password)", () => {
    try {
      loadConfig({
        REDIS_URL: "http://secret@h",
        DATABASE_URL: "mysql://secret@h",
        API_TOKEN: TOKEN,
      });
      throw new Error("accepted");
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain(
        "REDIS_URL (value not shown): expected a redis:// or rediss:// URL",
      );
      expect(message).toContain("DATABASE_URL (value not shown): expected a postgres:// URL");
      expect(message).not.toContain("secret");
    }
  });
});
