// A DAG's graph with some task groups folded into one node each: the members leave, the group stands in
// for them in every edge that crosses its border, and edges inside it disappear.

import type { Graph } from "../api/types";

export interface Folded extends Graph {
  members: Record<string, string[]>; // folded group id -> its task ids (nested groups included)
}

export function collapseGraph(graph: Graph, collapsed: Set<string>): Folded {
  const parents = new Map(graph.task_groups.map((g) => [g.group_id, g.parent_group_id]));
  // the outermost collapsed group around a task or group, if any
  const foldOf = (group: string | null): string | null => {
    let found: string | null = null;
    const seen = new Set<string>();
    for (let g = group; g && !seen.has(g); g = parents.get(g) ?? null) {
      seen.add(g);
      if (collapsed.has(g)) found = g;
    }
    return found;
  };
  const standIn = new Map<string, string>();
  const members: Record<string, string[]> = {};
  const nodes: Graph["nodes"] = [];
  for (const node of graph.nodes) {
    const fold = foldOf(node.task_group_id);
    if (!fold) {
      nodes.push(node);
      continue;
    }
    standIn.set(node.task_id, fold);
    if (!members[fold]) {
      members[fold] = [];
      nodes.push({ task_id: fold, operator: "TaskGroup", task_group_id: parents.get(fold) ?? null, ui_color: null });
    }
    members[fold].push(node.task_id);
  }
  for (const node of nodes) if (members[node.task_id]) node.operator = `TaskGroup · ${members[node.task_id].length} tasks`;
  const seen = new Set<string>();
  const edges = graph.edges.flatMap((e) => {
    const source = standIn.get(e.source_id) ?? e.source_id;
    const target = standIn.get(e.target_id) ?? e.target_id;
    const key = `${source}>${target}`;
    if (source === target || seen.has(key)) return [];
    seen.add(key);
    // a label names one task-to-task edge: a rerouted edge stands for several, so it carries none
    const kept = source === e.source_id && target === e.target_id ? e.label : null;
    return [kept ? { source_id: source, target_id: target, label: kept } : { source_id: source, target_id: target }];
  });
  const hidden = (g: string) => foldOf(g) !== null; // a folded group and everything inside it
  const task_groups = graph.task_groups.filter((g) => !hidden(g.group_id));
  return { ...graph, nodes, edges, task_groups, members };
}
