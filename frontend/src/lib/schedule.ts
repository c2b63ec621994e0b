// A DAG's schedule as people read it: cron expressions through cronstrue, presets and intervals as words.

import cronstrue from "cronstrue";

const PRESETS: Record<string, string> = {
  "@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@weekly": "0 0 * * 0",
  "@monthly": "0 0 1 * *", "@quarterly": "0 0 1 */3 *", "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *",
};

export function scheduleText(expression: string | null | undefined, fallback?: string | null): string {
  if (!expression) return fallback || "None (manual triggers only)";
  if (expression === "@once") return "Once";
  const cron = PRESETS[expression] ?? expression;
  if (/^\S+(\s+\S+){4,5}$/.test(cron.trim())) {
    try {
      return cronstrue.toString(cron, { use24HourTimeFormat: true, verbose: false });
    } catch {
      return fallback || expression;
    }
  }
  return fallback || expression;
}
