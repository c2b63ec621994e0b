// A DAG's schedule as people read it: cron expressions through cronstrue, presets and intervals as words.

import cronstrue from "cronstrue";

const PRESETS: Record<string, string> = {
  "@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@weekly": "0 0 * * 0",
  "@monthly": "0 0 1 * *", "@quarterly": "0 0 1 */3 *", "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *",
};

// cronstrue parses on every call; a list of 100 DAGs repeats a handful of expressions, so the text of each
// (expression, fallback) pair is kept: the mapping never changes, and there are few distinct pairs.
const described = new Map<string, string>();

export function scheduleText(expression: string | null | undefined, fallback?: string | null): string {
  const key = `${expression ?? ""}\u0000${fallback ?? ""}`;
  let text = described.get(key);
  if (text === undefined) {
    text = describe(expression, fallback);
    if (described.size < 1000) described.set(key, text);
  }
  return text;
}

function describe(expression: string | null | undefined, fallback?: string | null): string {
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
