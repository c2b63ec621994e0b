// Left-to-right layout of a DAG's graph with dagre; task groups become compound clusters around their tasks.

import { Graph, layout } from "@dagrejs/dagre";
import type { Graph as DagGraph } from "../api/types";

export interface Box { x: number; y: number; width: number; height: number }
export interface PlacedNode extends Box { id: string; operator: string; color: string | null; mapped: boolean }
export interface PlacedGroup extends Box { id: string; label: string }
export interface PlacedEdge { from: string; to: string; label: string | null; points: { x: number; y: number }[] }
export interface Layout { nodes: PlacedNode[]; groups: PlacedGroup[]; edges: PlacedEdge[]; width: number; height: number }

const NODE_HEIGHT = 44;
const CHAR_WIDTH = 7.5;

export function layoutGraph(graph: DagGraph): Layout {
  const g = new Graph({ compound: true, multigraph: false });
  g.setGraph({ rankdir: "LR", nodesep: 18, ranksep: 48, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  const groupIds = new Set(graph.task_groups.map((t) => t.group_id));
  for (const group of graph.task_groups) g.setNode(`group:${group.group_id}`, { label: group.group_id, paddingTop: 24 });
  for (const group of graph.task_groups) {
    if (group.parent_group_id && groupIds.has(group.parent_group_id)) {
      g.setParent(`group:${group.group_id}`, `group:${group.parent_group_id}`);
    }
  }
  for (const node of graph.nodes) {
    const width = Math.max(110, 24 + CHAR_WIDTH * Math.max(node.task_id.length + (node.is_mapped ? 4 : 0), node.operator.length));
    g.setNode(node.task_id, { width, height: NODE_HEIGHT });
    if (node.task_group_id && groupIds.has(node.task_group_id)) g.setParent(node.task_id, `group:${node.task_group_id}`);
  }
  for (const edge of graph.edges) g.setEdge(edge.source_id, edge.target_id);
  layout(g);

  const nodes = graph.nodes.map((n) => {
    const p = g.node(n.task_id);
    return { id: n.task_id, operator: n.operator, color: n.ui_color ?? null, mapped: !!n.is_mapped, ...centred(p) };
  });
  const groups = graph.task_groups.map((t) => {
    const p = g.node(`group:${t.group_id}`);
    return { id: t.group_id, label: t.group_id, ...centred(p) };
  }).filter((b) => b.width > 0);
  const edges = graph.edges.map((e) => ({ from: e.source_id, to: e.target_id, label: e.label ?? null,
    points: g.edge(e.source_id, e.target_id)?.points ?? [] }));
  const info = g.graph();
  return { nodes, groups, edges, width: info.width ?? 0, height: info.height ?? 0 };
}

function centred(p: { x: number; y: number; width?: number; height?: number } | undefined): Box {
  if (!p) return { x: 0, y: 0, width: 0, height: 0 };
  const width = p.width ?? 0;
  const height = p.height ?? 0;
  return { x: p.x - width / 2, y: p.y - height / 2, width, height };
}
