import { describe, expect, it } from "vitest";
import { collapseGraph } from "./collapse";

const graph = {
  nodes: [
    { task_id: "start", operator: "Empty", task_group_id: null },
    { task_id: "etl.a", operator: "Py", task_group_id: "etl" },
    { task_id: "etl.in.b", operator: "Py", task_group_id: "etl.in" },
    { task_id: "end", operator: "Empty", task_group_id: null },
  ],
  edges: [{ source_id: "start", target_id: "etl.a" }, { source_id: "etl.a", target_id: "etl.in.b" },
    { source_id: "etl.in.b", target_id: "end" }, { source_id: "start", target_id: "etl.in.b" }],
  task_groups: [{ group_id: "etl", parent_group_id: null }, { group_id: "etl.in", parent_group_id: "etl" }],
};

describe("collapseGraph", () => {
  it("folds a group with its nested groups into one node and reroutes crossing edges", () => {
    const folded = collapseGraph(graph, new Set(["etl"]));
    expect(folded.nodes.map((n) => n.task_id)).toEqual(["start", "etl", "end"]);
    expect(folded.edges).toEqual([{ source_id: "start", target_id: "etl" }, { source_id: "etl", target_id: "end" }]);
    expect(folded.members.etl).toEqual(["etl.a", "etl.in.b"]);
    expect(folded.task_groups).toEqual([]);
    expect(folded.nodes[1].operator).toBe("TaskGroup · 2 tasks");
  });

  it("folds only an inner group and keeps the outer cluster", () => {
    const folded = collapseGraph(graph, new Set(["etl.in"]));
    expect(folded.nodes.map((n) => n.task_id)).toEqual(["start", "etl.a", "etl.in", "end"]);
    expect(folded.task_groups.map((g) => g.group_id)).toEqual(["etl"]);
  });

  it("keeps a Label on an edge it leaves alone and drops it from a rerouted one", () => {
    const labelled = { ...graph, edges: [{ source_id: "start", target_id: "etl.a", label: "valid" },
      { source_id: "etl.in.b", target_id: "end" }, { source_id: "start", target_id: "end", label: "skip" }] };
    const folded = collapseGraph(labelled, new Set(["etl"]));
    expect(folded.edges).toEqual([{ source_id: "start", target_id: "etl" }, { source_id: "etl", target_id: "end" },
      { source_id: "start", target_id: "end", label: "skip" }]);
  });
});
