import type { Server } from "bun";
import type { Services } from "../services/container.ts";

/** Hono's environment: Bun's server in `c.env`, our services in `c.var`. */
export interface AppEnv {
  Bindings: { server?: Server<unknown> };
  Variables: {
    services: Services;
    /** Read it with clientIpOf (middlewares/client-ip.ts), which resolves it on first use. */
    clientIp?: string;
    /** Set by /api/collect when the request was a bot's: answered 202, nothing kept. */
    droppedAsBot?: boolean;
  };
}
