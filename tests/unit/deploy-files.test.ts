import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";

// The cluster deployment (deploy/) is not run by CI (no Docker there): these checks keep its
// files consistent with each other and with Footfall's configuration.

const ROOT = join(import.meta.dir, "..", "..");
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
}
const compose = Bun.YAML.parse(read("deploy/docker-compose.yml")) as {
  services: Record<string, Service>;
};
const instances = Object.entries(compose.services).filter(([name]) => name.startsWith("footfall-"));
const prometheus = Bun.YAML.parse(read("deploy/prometheus.yml")) as {
  scrape_configs: { metrics_path: string; static_configs: { targets: string[] }[] }[];
};
const nginx = read("deploy/nginx.conf");
const configuration = read("docs/configuration.md");

describe("the cluster deployment files", () => {
  test("every instance is built from this repository and runs in cluster mode with shared tokens", () => {
    expect(instances.length).toBeGreaterThanOrEqual(2);
    for (const [, service] of instances) {
      expect(service.build).toBe("..");
      const environment = service.environment ?? {};
      expect(environment.REDIS_URL).toStartWith("redis://redis:");
      expect(environment.DATABASE_URL).toStartWith("postgres://");
      expect(environment.API_TOKEN).toContain("${API_TOKEN");
      expect(environment.METRICS_TOKEN).toContain("${METRICS_TOKEN");
    }
  });

  test("every variable the instances are given is a documented Footfall setting", () => {
    for (const [, service] of instances) {
      for (const name of Object.keys(service.environment ?? {})) {
        expect({ name, documented: configuration.includes(`\`${name}\``) }).toEqual({
          name,
          documented: true,
        });
      }
    }
  });

  test("Redis syncs every write of its append-only file", () => {
    const command = compose.services.redis?.command ?? [];
    expect(command).toContain("--appendonly");
    expect(command[command.indexOf("--appendfsync") + 1]).toBe("always");
  });

  test("the load balancer and Prometheus reach every instance, and nginx upgrades WebSockets", () => {
    const targets = prometheus.scrape_configs[0]?.static_configs.flatMap((c) => c.targets) ?? [];
    expect(prometheus.scrape_configs[0]?.metrics_path).toBe("/metrics");
    for (const [name] of instances) {
      expect(targets).toContain(`${name}:3000`);
      expect(nginx).toContain(`server ${name}:3000;`);
    }
    expect(targets).toHaveLength(instances.length);
    expect(nginx).toContain("proxy_set_header Upgrade $http_upgrade;");
    expect(nginx).toContain("X-Forwarded-For $proxy_add_x_forwarded_for");
  });

  test("the image runs Bun as PID 1 on the lockfile's versions", () => {
    const dockerfile = read("Dockerfile");
    expect(dockerfile).toContain("npm ci");
    expect(dockerfile).toContain('CMD ["node_modules/.bin/bun", "index.ts"]');
  });
});
