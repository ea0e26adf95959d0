import { countryLabel } from "../countries.ts";
import type { BreakdownConfig } from "./breakdown-panel.ts";

const visitors = { label: "Visitors" };

/** The History view's breakdown cards, in the order they are laid out. */
export const BREAKDOWNS: BreakdownConfig[] = [
  {
    testId: "sources-panel",
    title: "Sources",
    tabs: [
      { dimension: "source", label: "Sources" },
      { dimension: "utm_source", label: "UTM source" },
      { dimension: "utm_medium", label: "UTM medium" },
      { dimension: "utm_campaign", label: "Campaign" },
    ],
    metrics: ["visitors"],
    columns: [visitors],
  },
  {
    testId: "pages-panel",
    title: "Pages",
    tabs: [
      { dimension: "page", label: "Top" },
      { dimension: "entry_page", label: "Entry" },
      { dimension: "exit_page", label: "Exit" },
    ],
    metrics: ["visitors"],
    columns: [visitors],
  },
  {
    testId: "countries-panel",
    title: "Countries",
    tabs: [{ dimension: "country", label: "Countries" }],
    metrics: ["visitors"],
    columns: [visitors],
    label: countryLabel,
  },
  {
    testId: "devices-panel",
    title: "Devices",
    tabs: [
      { dimension: "device", label: "Devices" },
      { dimension: "browser", label: "Browsers" },
      { dimension: "os", label: "OS" },
    ],
    metrics: ["visitors"],
    columns: [visitors],
  },
  {
    testId: "events-panel",
    title: "Custom events",
    tabs: [{ dimension: "event_name", label: "Events" }],
    metrics: ["visitors", "events"],
    columns: [visitors, { label: "Events" }],
  },
];
