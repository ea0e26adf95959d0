import { setDefaultTimeout } from "bun:test";

// Integration tests start real servers, processes and Chromium on a shared 2-core machine.
// (bunfig.toml has no timeout setting; a preload is how the default is raised for `bun test`.)
setDefaultTimeout(30_000);
