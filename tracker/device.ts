export type DeviceClass = "mobile" | "tablet" | "desktop";

/**
 * The device class from the user agent, falling back on the screen's width. iPadOS reports a
 * Mac user agent, told apart by its touch screen.
 */
export function deviceClass(
  userAgent: string,
  screenWidth: number,
  touchPoints: number,
): DeviceClass {
  if (
    /iPad|Tablet|PlayBook|Silk|Kindle|Android(?!.*Mobi)/i.test(userAgent) ||
    (/Macintosh/.test(userAgent) && touchPoints > 1)
  ) {
    return "tablet";
  }
  if (/Mobi|iPhone|iPod|Android|Opera Mini|IEMobile/i.test(userAgent) || screenWidth < 600) {
    return "mobile";
  }
  return screenWidth < 1024 && touchPoints > 0 ? "tablet" : "desktop";
}
