import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { isIP } from "node:net";
import { Reader, type Response } from "mmdb-lib";

/** Where an IP is, as far as the database tells; region and city only from a City database. */
export interface IpLocation {
  country?: string;
  region?: string;
  city?: string;
}

/** The shape of both databases' records: ip-location-db's flat one, and MaxMind's nested one. */
interface LocationRecord {
  country_code?: string;
  country?: { iso_code?: string };
  subdivisions?: { iso_code?: string; names?: { en?: string } }[];
  city?: { names?: { en?: string } };
}

/** The IP-to-country database shipped in an npm package (CC0), IPv4 and IPv6 in one file. */
export const SHIPPED_DATABASE = createRequire(import.meta.url).resolve(
  "@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb",
);

// A database is read once per process (about 15 MB): every app built in a test run shares it.
const readers = new Map<string, Reader<Response>>();

function readerFor(path: string): Reader<Response> {
  let reader = readers.get(path);
  if (reader === undefined) {
    reader = new Reader<Response>(readFileSync(path));
    readers.set(path, reader);
  }
  return reader;
}

const ISO_COUNTRY = /^[A-Z]{2}$/;

/** An ISO 3166-1 alpha-2 code, upper case, or undefined (for "XX", "T1" and the like too). */
export function isoCountry(value: string | undefined): string | undefined {
  const code = value?.trim().toUpperCase();
  return code && ISO_COUNTRY.test(code) && code !== "XX" ? code : undefined;
}

/**
 * Looks IPs up in `path` (GEOIP_DATABASE, a MaxMind GeoLite2/GeoIP2 file) or the shipped
 * database. The database is opened on the first lookup.
 */
export class CountryLookup {
  constructor(private readonly path: string = SHIPPED_DATABASE) {}

  /** Opens the database now (start-up calls this so a bad GEOIP_DATABASE fails early). */
  open(): void {
    readerFor(this.path);
  }

  locate(ip: string): IpLocation {
    const address = ip.startsWith("::ffff:") && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
    if (isIP(address) === 0) return {};
    let record: LocationRecord | null;
    try {
      // Read by hand: the shipped file's flat record is none of mmdb-lib's MaxMind types.
      record = readerFor(this.path).get(address) as unknown as LocationRecord | null;
    } catch {
      return {};
    }
    if (!record) return {};
    const location: IpLocation = {};
    const country = isoCountry(record.country_code ?? record.country?.iso_code);
    if (country) location.country = country;
    const region = record.subdivisions?.[0]?.names?.en;
    if (region) location.region = region;
    const city = record.city?.names?.en;
    if (city) location.city = city;
    return location;
  }
}
