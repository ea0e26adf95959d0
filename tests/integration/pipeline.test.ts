import { afterEach, describe, expect, test } from "bun:test";
import type { Step } from "../../services/pipeline/pipeline.ts";
import { DashboardClient, pageview, startTestServer, type TestServer } from "../support/server.ts";

const servers: TestServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop();
});

describe("reactions are isolated", () => {
  test("a throwing reaction affects neither the other reactions nor the 201 of the acknowledged event", async () => {
    const server = startTestServer();
    servers.push(server);
    const { pipeline } = server.services;
    let thrown = 0;
    pipeline.react({
      name: "broken",
      react: () => {
        thrown++;
        throw new Error("the outside is down");
      },
    });
    const after: Step[] = [];
    pipeline.react({ name: "after", react: (step) => after.push(step) });
    const dashboard = await DashboardClient.connect(server.wsUrl);
    await dashboard.next("user_connected");

    const response = await server.postEvent(pageview("acknowledged", "/ok"));
    expect(response.status).toBe(201);
    expect(thrown).toBe(1);
    // The realtime hub (added before) and the reaction added after both saw it.
    const frame = await dashboard.next("visitor_update");
    expect(frame.data.event).toMatchObject({ session_id: "acknowledged", position: 1 });
    expect(after.map((step) => step.committed?.position)).toEqual([1]);
    // Counted once: a retry is never needed, so no duplicate follows.
    expect(server.services.live.currentStats().total_active).toBe(1);
    expect(server.services.database.log.lastPosition()).toBe(1);
    expect(dashboard.protocolErrors).toEqual([]);
    dashboard.close();
  });
});
