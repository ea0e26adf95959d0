import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CountryLookup } from "../../services/enrich/country.ts";
import { cityDatabase } from "../support/city-database.ts";

const dir = mkdtempSync(join(tmpdir(), "footfall-geoip-"));
const file = join(dir, "City.mmdb");
writeFileSync(
  file,
  cityDatabase("81.2.69.0/24", {
    country: { iso_code: "GB" },
    subdivisions: [{ iso_code: "ENG", names: { en: "England" } }],
    city: { names: { en: "London" } },
  }),
);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a MaxMind City database through GEOIP_DATABASE", () => {
  test("gives the country, region and city of an address in it", () => {
    expect(new CountryLookup(file).locate("81.2.69.160")).toEqual({
      country: "GB",
      region: "England",
      city: "London",
    });
  });

  test("gives nothing for an address outside it", () => {
    expect(new CountryLookup(file).locate("81.2.70.1")).toEqual({});
    expect(new CountryLookup(file).locate("8.8.8.8")).toEqual({});
  });

  test("reads an IPv4-mapped IPv6 address as its IPv4 address", () => {
    expect(new CountryLookup(file).locate("::ffff:81.2.69.1").city).toBe("London");
  });
});
