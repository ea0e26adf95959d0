import packageJson from "../package.json" with { type: "json" };

/** Footfall's version, as package.json states it (health, status, the root and the API document). */
export const VERSION: string = packageJson.version;
