import { describe, expect, test } from "bun:test";
import { deviceClass } from "../../tracker/device.ts";

const UA = {
  iphone:
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
  androidPhone:
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
  androidTablet:
    "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
  ipad: "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
  // iPadOS 13+ asks for desktop sites with a Mac user agent.
  mac: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
  windows:
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
};

describe("the tracker's device class", () => {
  test("phones are mobile whatever their screen", () => {
    expect(deviceClass(UA.iphone, 390, 5)).toBe("mobile");
    expect(deviceClass(UA.androidPhone, 412, 5)).toBe("mobile");
  });

  test("tablets are tablets, iPads asking for the desktop site included", () => {
    expect(deviceClass(UA.ipad, 810, 5)).toBe("tablet");
    expect(deviceClass(UA.androidTablet, 1280, 10)).toBe("tablet");
    expect(deviceClass(UA.mac, 1024, 5)).toBe("tablet");
  });

  test("desktops are desktops, a Mac without touch included", () => {
    expect(deviceClass(UA.windows, 1920, 0)).toBe("desktop");
    expect(deviceClass(UA.mac, 1440, 0)).toBe("desktop");
  });

  test("an unknown agent falls back on the screen: narrow is mobile, mid-size touch is tablet", () => {
    expect(deviceClass("SomeBrowser/1.0", 500, 0)).toBe("mobile");
    expect(deviceClass("SomeBrowser/1.0", 800, 5)).toBe("tablet");
    expect(deviceClass("SomeBrowser/1.0", 800, 0)).toBe("desktop");
  });
});
