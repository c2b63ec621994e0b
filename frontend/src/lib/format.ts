// Dates and durations as people read them. Dates arrive as ISO 8601 strings from the API.

// The zone dates are shown in: UTC unless the person picks another (Airflow's default), kept per device.
// A module setting rather than a context because every view formats dates; the header's selector
// re-renders the app after changing it.
const ZONE_KEY = "levante.timezone";
let displayZone = "UTC";
try {
  displayZone = globalThis.localStorage?.getItem(ZONE_KEY) || "UTC";
} catch {
  displayZone = "UTC"; // storage disabled: stay on UTC
}

export function timeZone(): string {
  return displayZone;
}

export function setTimeZone(zone: string): void {
  displayZone = zone;
  try {
    globalThis.localStorage?.setItem(ZONE_KEY, zone);
  } catch {
    // not persisted; the choice still holds for this page
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-GB", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
    formatters.set(zone, f);
  }
  return f;
}

/** `YYYY-MM-DD HH:MM:SS` in the display zone (or `zone`). */
export function formatDate(iso: string | null | undefined, zone = displayZone): string {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const parts = Object.fromEntries(formatter(zone).formatToParts(date).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
}

/** The date with its zone label ("2024-01-01 00:00:00 UTC"); a lone dash when there is no date. */
export function formatDateZ(iso: string | null | undefined): string {
  return iso ? `${formatDate(iso)} ${zoneLabel()}` : "—";
}

/** The date, a zone label and how long ago (or until): for tooltips and "next attempt" lines. */
export function formatDateRelative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "—";
  return `${formatDate(iso)} ${zoneLabel()} (${relativeAge(iso, now)})`;
}

export function zoneLabel(zone = displayZone): string {
  return zone === "UTC" || zone === "Etc/UTC" ? "UTC" : zone;
}

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "—";
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  if (m < 60) return `${m}m ${s}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

/** Duration between two ISO dates; `now` when the end is still open (a running task). */
export function elapsed(start: string | null | undefined, end: string | null | undefined, now = Date.now()): number | null {
  if (!start) return null;
  const from = new Date(start).getTime();
  const to = end ? new Date(end).getTime() : now;
  return Number.isNaN(from) || Number.isNaN(to) ? null : Math.max(0, (to - from) / 1000);
}

export function relativeAge(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "never";
  const seconds = (now - new Date(iso).getTime()) / 1000;
  if (Number.isNaN(seconds)) return iso;
  return seconds < 0 ? `in ${formatDuration(-seconds)}` : `${formatDuration(seconds)} ago`;
}

/** An estimated AWS cost: cents and above as dollars, tiny ones with enough digits to compare. */
export function formatUsd(usd: number | null | undefined): string {
  if (usd === null || usd === undefined || Number.isNaN(usd)) return "—";
  if (usd === 0) return "$0";
  if (usd >= 0.01) return `$${usd.toFixed(2)}`;
  return `$${usd.toPrecision(2)}`;
}
