import { describe, expect, it } from "vitest";
import { buildGrid, hasActiveRuns, summariseStates, visibleRows, type GridRun } from "./grid";

const run = (id: string, state: string, cells: Record<string, string | null>): GridRun => ({
  dag_run_id: id, state, logical_date: "2024-01-01T00:00:00+00:00",
  cells: Object.fromEntries(Object.entries(cells).map(([t, s]) => [t, { state: s, try_number: 1, duration: 2 }])),
});

const tasks = [
  { task_id: "start", task_group_id: null },
  { task_id: "etl.extract", task_group_id: "etl" },
  { task_id: "etl.inner.load", task_group_id: "etl.inner" },
  { task_id: "end", task_group_id: null },
];
const groups = [{ group_id: "etl", parent_group_id: null }, { group_id: "etl.inner", parent_group_id: "etl" }];

describe("buildGrid", () => {
  it("puts runs oldest first and tasks in the given order, with group header rows", () => {
    const model = buildGrid([run("new", "running", {}), run("old", "success", {})], tasks, groups);
    expect(model.runs.map((r) => r.dag_run_id)).toEqual(["old", "new"]);
    expect(model.rows.map((r) => [r.kind, r.id, r.label, r.depth])).toEqual([
      ["task", "start", "start", 0],
      ["group", "etl", "etl", 0],
      ["task", "etl.extract", "extract", 1],
      ["group", "etl.inner", "inner", 1],
      ["task", "etl.inner.load", "load", 2],
      ["task", "end", "end", 0],
    ]);
  });

  it("fills cells per run, null where a run has no task instance", () => {
    const model = buildGrid([run("r2", "running", { start: "success" }), run("r1", "success", { start: "success", end: "success" })], tasks, groups);
    const end = model.rows.find((r) => r.id === "end")!;
    expect(end.cells.map((c) => c?.state ?? "missing")).toEqual(["success", "missing"]);
  });

  it("summarises a group with its most urgent state, nested tasks included", () => {
    const model = buildGrid([run("r", "running", { "etl.extract": "success", "etl.inner.load": "failed" })], tasks, groups);
    expect(model.rows.find((r) => r.id === "etl")!.cells[0]!.state).toBe("failed");
    expect(model.rows.find((r) => r.id === "etl.inner")!.cells[0]!.state).toBe("failed");
    expect(model.rows.find((r) => r.id === "etl")!.cells[0]!.duration).toBe(4);
  });

  it("hides the rows of collapsed groups, nested ones too", () => {
    const model = buildGrid([], tasks, groups);
    expect(visibleRows(model.rows, new Set(["etl"])).map((r) => r.id)).toEqual(["start", "etl", "end"]);
    expect(visibleRows(model.rows, new Set(["etl.inner"])).map((r) => r.id)).toEqual(["start", "etl", "etl.extract", "etl.inner", "end"]);
  });

  it("keeps every task of a nested group inside it, whatever the topological order", () => {
    const interleaved = [
      { task_id: "prep.clean.load", task_group_id: "prep.clean" },
      { task_id: "prep.fetch", task_group_id: "prep" },
      { task_id: "report.draw", task_group_id: "report" },
      { task_id: "prep.clean.gate", task_group_id: "prep.clean" },
      { task_id: "finish", task_group_id: null },
    ];
    const nested = [{ group_id: "prep", parent_group_id: null }, { group_id: "prep.clean", parent_group_id: "prep" },
      { group_id: "report", parent_group_id: null }];
    const model = buildGrid([], interleaved, nested);
    expect(model.rows.map((r) => [r.id, r.label, r.depth])).toEqual([
      ["prep", "prep", 0],
      ["prep.clean", "clean", 1],
      ["prep.clean.load", "load", 2],
      ["prep.clean.gate", "gate", 2],
      ["prep.fetch", "fetch", 1],
      ["report", "report", 0],
      ["report.draw", "draw", 1],
      ["finish", "finish", 0],
    ]);
  });

  it("tells when runs are active", () => {
    expect(hasActiveRuns([{ state: "success" }, { state: "queued" }])).toBe(true);
    expect(hasActiveRuns([{ state: "failed" }])).toBe(false);
  });
});

describe("summariseStates", () => {
  it("follows Airflow's priority", () => {
    expect(summariseStates(["success", "running"])).toBe("running");
    expect(summariseStates(["success", null])).toBe(null);
    expect(summariseStates(["success", "skipped"])).toBe("success");
    expect(summariseStates(["up_for_retry", "upstream_failed"])).toBe("upstream_failed");
    expect(summariseStates([])).toBe(null);
  });
});
