// Airflow's state names and its default UI colours (airflow/settings.py STATE_COLORS), so the grid reads
// the same as Airflow's. A task instance that never ran has state null ("no status").

export type State =
  | "success" | "running" | "failed" | "upstream_failed" | "skipped" | "up_for_retry"
  | "up_for_reschedule" | "queued" | "scheduled" | "deferred" | "removed" | "restarting";

export const STATE_COLORS: Record<State, string> = {
  success: "#008000",
  running: "#00ff00",
  failed: "#ff0000",
  upstream_failed: "#ffa500",
  skipped: "#ff69b4",
  up_for_retry: "#ffd700",
  up_for_reschedule: "#40e0d0",
  queued: "#808080",
  scheduled: "#d2b48c",
  deferred: "#9370db",
  removed: "#d3d3d3",
  restarting: "#ee82ee",
};

export const NO_STATUS_COLOR = "#ffffff";

/** Display order for counts by state: the ones needing attention first. */
export const STATE_ORDER: State[] = [
  "failed", "upstream_failed", "up_for_retry", "running", "queued", "scheduled", "up_for_reschedule",
  "deferred", "restarting", "success", "skipped", "removed",
];

const TERMINAL = new Set<string>(["success", "failed", "upstream_failed", "skipped", "removed"]);
const RUN_ACTIVE = new Set<string>(["queued", "running"]);

export function stateColor(state: string | null | undefined): string {
  if (!state || state === "none") return NO_STATUS_COLOR;
  return STATE_COLORS[state as State] ?? NO_STATUS_COLOR;
}

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG contrast ratio between two #rrggbb colours. */
export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** Dark or white text, whichever reads better on a state's background (Airflow's red takes dark text). */
export function stateTextColor(state: string | null | undefined): string {
  const bg = stateColor(state);
  return contrast(bg, "#ffffff") >= contrast(bg, "#000000") ? "#ffffff" : "#000000";
}

export function isTerminal(state: string | null | undefined): boolean {
  return !!state && TERMINAL.has(state);
}

/** A task instance still has work ahead (poll while any does). */
export function isTaskActive(state: string | null | undefined): boolean {
  return !!state && !TERMINAL.has(state);
}

export function isRunActive(state: string | null | undefined): boolean {
  return !!state && RUN_ACTIVE.has(state);
}

export function stateLabel(state: string | null | undefined): string {
  return state ? state.replace(/_/g, " ") : "no status";
}

/** Counts as ordered [state, count] pairs, zero counts dropped. */
export function orderedCounts(counts: Record<string, number> | undefined): [string, number][] {
  if (!counts) return [];
  const known = STATE_ORDER.filter((s) => counts[s]).map((s): [string, number] => [s, counts[s]]);
  const other = Object.keys(counts)
    .filter((s) => counts[s] && !STATE_ORDER.includes(s as State))
    .sort()
    .map((s): [string, number] => [s, counts[s]]);
  return [...known, ...other];
}
