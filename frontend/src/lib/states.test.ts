import { describe, expect, it } from "vitest";
import { contrast, isRunActive, STATE_ORDER, isTaskActive, NO_STATUS_COLOR, orderedCounts, stateColor, stateLabel, stateTextColor } from "./states";

describe("state colours", () => {
  it("uses Airflow's colours", () => {
    expect(stateColor("success")).toBe("#008000");
    expect(stateColor("failed")).toBe("#ff0000");
    expect(stateColor("running")).toBe("#00ff00");
    expect(stateColor("upstream_failed")).toBe("#ffa500");
    expect(stateColor("skipped")).toBe("#ff69b4");
    expect(stateColor("up_for_retry")).toBe("#ffd700");
    expect(stateColor("queued")).toBe("#808080");
  });

  it("shows no status for null, 'none' and unknown states", () => {
    expect(stateColor(null)).toBe(NO_STATUS_COLOR);
    expect(stateColor("none")).toBe(NO_STATUS_COLOR);
    expect(stateColor("something_new")).toBe(NO_STATUS_COLOR);
    expect(stateLabel(null)).toBe("no status");
    expect(stateLabel("upstream_failed")).toBe("upstream failed");
  });

  it("keeps text readable on dark backgrounds", () => {
    expect(stateTextColor("success")).toBe("#ffffff");
    expect(stateTextColor("running")).not.toBe("#ffffff");
  });

  it("gives every state badge at least 4.5:1 text contrast (WCAG AA), Airflow's red included", () => {
    for (const state of [...STATE_ORDER, null]) {
      expect(contrast(stateColor(state), stateTextColor(state))).toBeGreaterThanOrEqual(4.5);
    }
    expect(contrast("#ff0000", "#ffffff")).toBeLessThan(4.5); // why the failed badge takes dark text
  });

  it("knows which states still have work ahead", () => {
    expect(isTaskActive("running")).toBe(true);
    expect(isTaskActive("up_for_retry")).toBe(true);
    expect(isTaskActive("success")).toBe(false);
    expect(isTaskActive(null)).toBe(false);
    expect(isRunActive("queued")).toBe(true);
    expect(isRunActive("failed")).toBe(false);
  });

  it("orders counts with failures first and drops zeros", () => {
    expect(orderedCounts({ success: 3, failed: 1, running: 0, weird: 2 })).toEqual([["failed", 1], ["success", 3], ["weird", 2]]);
    expect(orderedCounts(undefined)).toEqual([]);
  });
});
