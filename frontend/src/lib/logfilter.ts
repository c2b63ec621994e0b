// Log lines filtered by level and search text, split into parts so matches can be highlighted.
// Levels are read the way Python's logging prints them ("... ERROR ...", "[WARNING]"); a line with no
// level (a traceback's continuation) belongs to the level of the line above it.

export const LEVELS = ["all", "DEBUG", "INFO", "WARNING", "ERROR"] as const;
export type Level = (typeof LEVELS)[number];
const RANK: Record<string, number> = { DEBUG: 1, INFO: 2, WARNING: 3, WARN: 3, ERROR: 4, CRITICAL: 5, FATAL: 5 };
const LEVEL_RE = /\b(DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL)\b/;

export interface Filtered { parts: { text: string; match: boolean }[]; count: number }

export function filterLog(text: string, level: Level, search: string): Filtered {
  if (level === "all" && !search) return { parts: [{ text, match: false }], count: 0 };
  const min = level === "all" ? 0 : RANK[level];
  const needle = search.toLowerCase();
  const parts: Filtered["parts"] = [];
  let current = 0;
  let count = 0;
  for (const line of text.split("\n")) {
    const found = LEVEL_RE.exec(line);
    if (found) current = RANK[found[1]];
    if (current < min || (needle && !line.toLowerCase().includes(needle))) continue;
    count += 1;
    if (!needle) {
      parts.push({ text: `${line}\n`, match: false });
      continue;
    }
    let from = 0;
    const lower = line.toLowerCase();
    for (let at = lower.indexOf(needle); at !== -1; at = lower.indexOf(needle, at + needle.length)) {
      parts.push({ text: line.slice(from, at), match: false }, { text: line.slice(at, at + needle.length), match: true });
      from = at + needle.length;
    }
    parts.push({ text: `${line.slice(from)}\n`, match: false });
  }
  return { parts, count };
}
