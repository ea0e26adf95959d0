import { readFileSync } from "node:fs";

// Integration tests start real servers, processes and Chromium on a shared 2-core machine, so
// they need more than bun's 5 s per test. Neither bunfig.toml nor a preload can raise that for
// every file (`setDefaultTimeout` here reaches the first file only), so `npm test` runs
// `bun test --timeout 30000`. A bare `bun test` is told so once, rather than failing at 5 s later.
const commandLine = (() => {
  try {
    return readFileSync("/proc/self/cmdline", "utf8").split("\0");
  } catch {
    return undefined; // Not Linux: nothing to check.
  }
})();
if (commandLine && !commandLine.some((argument) => argument.startsWith("--timeout"))) {
  console.warn(
    "Footfall's tests need `bun test --timeout 30000` (what `npm test` runs): without it every test has 5 s.",
  );
}
