/**
 * Writes a tiny MaxMind DB (the format of GeoLite2/GeoIP2 City files) holding one IPv4 network,
 * so a test can run GEOIP_DATABASE without MaxMind's licensed files. Format:
 * https://maxmind.github.io/MaxMind-DB/ (24-bit records, an IPv4 tree).
 */
type Value = string | number | bigint | Value[] | { [key: string]: Value };
type Typed = { uint16: number } | { uint32: number } | { uint64: bigint };
type Encodable = Value | Typed | Encodable[] | { [key: string]: Encodable };

const RECORD_BYTES = 3;

function control(type: number, size: number): number[] {
  if (size >= 29) throw new Error("the test writer encodes small values only");
  return type <= 7 ? [(type << 5) | size] : [size, type - 7];
}

function unsigned(type: number, value: bigint): number[] {
  const bytes: number[] = [];
  for (let rest = value; rest > 0n; rest >>= 8n) bytes.unshift(Number(rest & 0xffn));
  return [...control(type, bytes.length), ...bytes];
}

function encode(value: Encodable): number[] {
  if (typeof value === "string") {
    const bytes = [...Buffer.from(value, "utf8")];
    return [...control(2, bytes.length), ...bytes];
  }
  if (Array.isArray(value)) return [...control(11, value.length), ...value.flatMap(encode)];
  if (typeof value === "object" && value !== null) {
    if ("uint16" in value && typeof value.uint16 === "number")
      return unsigned(5, BigInt(value.uint16));
    if ("uint32" in value && typeof value.uint32 === "number")
      return unsigned(6, BigInt(value.uint32));
    if ("uint64" in value && typeof value.uint64 === "bigint") return unsigned(9, value.uint64);
    const entries = Object.entries(value);
    return [
      ...control(7, entries.length),
      ...entries.flatMap(([k, v]) => [...encode(k), ...encode(v)]),
    ];
  }
  throw new Error(`cannot encode ${String(value)}`);
}

/** A City database where `network` (an IPv4 CIDR such as 81.2.69.0/24) maps to `record`. */
export function cityDatabase(network: string, record: Encodable): Buffer {
  const [address, bits] = network.split("/") as [string, string];
  const prefix = Number(bits);
  const addressBits = address
    .split(".")
    .map((octet) => Number(octet).toString(2).padStart(8, "0"))
    .join("");
  const nodeCount = prefix;
  const empty = nodeCount;
  const dataPointer = nodeCount + 16; // the first (only) record in the data section
  const tree: number[] = [];
  for (let depth = 0; depth < prefix; depth++) {
    const next = depth === prefix - 1 ? dataPointer : depth + 1;
    const records = addressBits[depth] === "0" ? [next, empty] : [empty, next];
    for (const value of records) tree.push((value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff);
  }
  const metadata = encode({
    node_count: { uint32: nodeCount },
    record_size: { uint16: RECORD_BYTES * 8 },
    ip_version: { uint16: 4 },
    database_type: "GeoIP2-City",
    languages: ["en"],
    binary_format_major_version: { uint16: 2 },
    binary_format_minor_version: { uint16: 0 },
    build_epoch: { uint64: 1_700_000_000n },
    description: { en: "Footfall test City database" },
  });
  return Buffer.from([
    ...tree,
    ...new Array(16).fill(0),
    ...encode(record),
    ...Buffer.from("\xab\xcd\xefMaxMind.com", "latin1"),
    ...metadata,
  ]);
}
