// Gantt bars for one run and per-day run summaries for the calendar, from the grid's task instances.

import type { GridCell } from "./grid";
import { summariseStates } from "./grid";

export interface Bar { task: string; state: string | null; queued: number | null; start: number | null; end: number | null }
export interface Gantt { bars: Bar[]; from: number; to: number }

const ms = (iso: string | null | undefined) => (iso ? new Date(iso).getTime() : null);

/** Bars in task order; times in ms since the epoch; a running task's bar ends at `now`. */
export function gantt(tasks: string[], cells: Record<string, GridCell>, now: number): Gantt {
  const bars = tasks.filter((t) => cells[t]).map((task) => {
    const c = cells[task];
    const start = ms(c.start_date);
    return { task, state: c.state, queued: ms(c.queued_when), start, end: ms(c.end_date) ?? (start !== null ? now : null) };
  });
  const times = bars.flatMap((b) => [b.queued, b.start, b.end]).filter((t): t is number => t !== null);
  return { bars, from: times.length ? Math.min(...times) : now, to: times.length ? Math.max(...times) : now };
}

export interface Day { day: string; runs: number; state: string | null }

/** Runs grouped by the UTC day of their logical date, each day coloured by its most urgent run state. */
export function calendarDays(runs: { logical_date: string; state: string }[]): Day[] {
  const byDay = new Map<string, string[]>();
  for (const run of runs) {
    const day = run.logical_date.slice(0, 10);
    byDay.set(day, [...(byDay.get(day) ?? []), run.state]);
  }
  return [...byDay.entries()].sort(([a], [b]) => a.localeCompare(b))
    .map(([day, states]) => ({ day, runs: states.length, state: summariseStates(states) }));
}

/** Seconds a task waited in the queue before it started (null when unknown). */
export function queuedSeconds(cell: GridCell | null | undefined): number | null {
  const q = ms(cell?.queued_when);
  const s = ms(cell?.start_date);
  return q !== null && s !== null ? Math.max(0, (s - q) / 1000) : null;
}
