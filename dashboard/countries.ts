// Countries arrive as ISO 3166-1 alpha-2 codes; the browser knows their names.
const names = new Intl.DisplayNames(["en"], { type: "region", fallback: "none" });
const ALPHA2 = /^[A-Z]{2}$/;
const REGIONAL_INDICATOR_A = 0x1f1e6;

/** "US" -> "United States"; anything that is not a known code is shown as it came. */
export function countryName(code: string): string {
  if (!ALPHA2.test(code)) return code;
  try {
    return names.of(code) ?? code;
  } catch {
    return code;
  }
}

/** "US" -> the flag emoji (two regional indicator letters); "" for anything else. */
export function countryFlag(code: string): string {
  if (!ALPHA2.test(code) || countryName(code) === code) return "";
  return String.fromCodePoint(
    ...[...code].map((letter) => REGIONAL_INDICATOR_A + letter.charCodeAt(0) - 65),
  );
}

/** "🇺🇸 United States" (or the raw value when it is not a country code). */
export function countryLabel(code: string): string {
  const flag = countryFlag(code);
  return flag ? `${flag} ${countryName(code)}` : countryName(code);
}
