import { describe, expect, it } from "vitest";
import { filterLog } from "./logfilter";

const LOG = ["[2024] INFO start", "[2024] WARNING disk low", "[2024] ERROR boom", "Traceback (most recent call last):",
  "[2024] DEBUG detail"].join("\n");

describe("filterLog", () => {
  it("keeps lines at or above a level, continuation lines with their parent", () => {
    const shown = filterLog(LOG, "WARNING", "").parts.map((p) => p.text).join("");
    expect(shown).toBe("[2024] WARNING disk low\n[2024] ERROR boom\nTraceback (most recent call last):\n");
  });

  it("finds search text case-insensitively and marks each match", () => {
    const result = filterLog(LOG, "all", "BOOM");
    expect(result.count).toBe(1);
    expect(result.parts.filter((p) => p.match).map((p) => p.text)).toEqual(["boom"]);
  });

  it("returns the text untouched without a filter", () => {
    expect(filterLog(LOG, "all", "").parts).toEqual([{ text: LOG, match: false }]);
  });
});
