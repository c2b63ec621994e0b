import { describe, expect, it } from "vitest";
import { calendarDays, gantt, queuedSeconds } from "./timeline";

describe("gantt", () => {
  it("places each task between its queued, start and end times; a running one ends now", () => {
    const cells = {
      a: { state: "success", try_number: 1, duration: 2, queued_when: "2024-01-01T00:00:00Z", start_date: "2024-01-01T00:00:01Z", end_date: "2024-01-01T00:00:03Z" },
      b: { state: "running", try_number: 1, duration: null, queued_when: "2024-01-01T00:00:03Z", start_date: "2024-01-01T00:00:04Z", end_date: null },
    };
    const now = Date.parse("2024-01-01T00:00:10Z");
    const g = gantt(["a", "b", "missing"], cells, now);
    expect(g.bars.map((b) => b.task)).toEqual(["a", "b"]);
    expect(g.from).toBe(Date.parse("2024-01-01T00:00:00Z"));
    expect(g.to).toBe(now);
    expect(queuedSeconds(cells.b)).toBe(1);
  });
});

describe("calendarDays", () => {
  it("groups runs per day with the most urgent state", () => {
    expect(calendarDays([
      { logical_date: "2024-01-02T00:00:00+00:00", state: "success" },
      { logical_date: "2024-01-01T05:00:00+00:00", state: "success" },
      { logical_date: "2024-01-01T00:00:00+00:00", state: "failed" },
    ])).toEqual([{ day: "2024-01-01", runs: 2, state: "failed" }, { day: "2024-01-02", runs: 1, state: "success" }]);
  });
});
