import { useMemo, useRef, useState } from "preact/hooks";
import { collapseGraph } from "../lib/collapse";
import { summariseStates } from "../lib/grid";
import { seg } from "../api/client";
import type { DagRun, Graph, TaskInstance } from "../api/types";
import { ErrorBox, Loading } from "../components/common";
import { useSession } from "../context";
import { useResource } from "../lib/hooks";
import { layoutGraph, type Layout } from "../lib/layout";
import { isRunActive, stateColor, stateLabel } from "../lib/states";
import { Legend } from "./GridTab";

interface RunStates { run: DagRun | null; states: Record<string, string | null> }

export function GraphTab({ dagId, runId, onSelect, refresh }:
  { dagId: string; runId?: string; onSelect: (q: Record<string, string>) => void; refresh: number }) {
  const { api } = useSession();
  const graph = useResource((signal) => api.get<Graph>(`/dags/${seg(dagId)}/graph`, {}, signal), [api, dagId]);
  const states = useResource<RunStates>(async (signal) => {
    const base = `/dags/${seg(dagId)}/dagRuns`;
    const run = runId ? await api.get<DagRun>(`${base}/${seg(runId)}`, {}, signal)
      : (await api.get<{ dag_runs: DagRun[] }>(base, { limit: 1 }, signal)).dag_runs[0] ?? null;
    if (!run) return { run: null, states: {} };
    const tis = await api.get<{ task_instances: TaskInstance[] }>(`${base}/${seg(run.dag_run_id)}/taskInstances`, {}, signal);
    return { run, states: Object.fromEntries(tis.task_instances.map((t) => [t.task_id, t.state])) };
  }, [api, dagId, runId], { refetchOn: [refresh], pollWhile: () => true,
    intervalMs: (s) => (isRunActive(s.run?.state) ? 1500 : 5000) });
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());
  const [hover, setHover] = useState<string | null>(null);
  const folded = useMemo(() => (graph.data ? collapseGraph(graph.data, collapsed) : null), [graph.data, collapsed]);
  const placed = useMemo(() => (folded ? layoutGraph(folded) : null), [folded]);
  const toggle = (group: string) => {
    const next = new Set(collapsed);
    if (!next.delete(group)) next.add(group);
    setCollapsed(next);
  };

  if (graph.error) return <ErrorBox error={graph.error} retry={graph.reload} />;
  if (!placed || !folded) return <Loading what="Laying out the graph" />;
  const run = states.data?.run;
  const stateOf = (id: string) => (folded.members[id]
    ? summariseStates(folded.members[id].map((t) => states.data?.states[t] ?? null))
    : states.data?.states[id] ?? null);
  // hovering a task lights up its edges and dims tasks not next to it: a big graph stays followable
  const near = hover ? new Set([hover, ...placed.edges.flatMap((e) => (e.from === hover ? [e.to] : e.to === hover ? [e.from] : []))]) : null;
  const allGroups = graph.data?.task_groups.map((g) => g.group_id) ?? [];
  return (
    <div class="graph-view">
      <div class="muted small">
        {run ? <>Showing run <code>{run.dag_run_id}</code> ({stateLabel(run.state)})</> : "No runs yet: showing the structure."}
        {allGroups.length > 0 && <>
          {" · "}<button type="button" class="link" onClick={() => setCollapsed(new Set(allGroups.filter((g) => !g.includes("."))))}>Collapse all groups</button>
          <button type="button" class="link" onClick={() => setCollapsed(new Set())}>Expand all</button>
        </>}
      </div>
      <PanZoom layout={placed}>
        {placed.groups.map((g) => (
          <g key={g.id} class="tg">
            <rect x={g.x} y={g.y} width={g.width} height={g.height} rx={8} />
            <g class="tg-toggle" role="button" tabIndex={0} aria-label={`Collapse group ${g.label}`} data-group={g.id}
              onClick={() => toggle(g.id)} onKeyDown={(e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); toggle(g.id); } }}>
              <text x={g.x + 8} y={g.y + 16}>▾ {g.label}</text>
            </g>
          </g>
        ))}
        {placed.edges.map((e) => (
          <polyline key={`${e.from}>${e.to}`} class={`edge ${hover && (e.from === hover || e.to === hover) ? "hot" : ""}`} marker-end="url(#arrow)"
            points={e.points.map((p) => `${p.x},${p.y}`).join(" ")} />
        ))}
        {placed.edges.filter((e) => e.label && e.points.length).map((e) => {
          const mid = e.points[Math.floor(e.points.length / 2)];
          return <text key={`label:${e.from}>${e.to}`} class="edge-label" data-edge={`${e.from}>${e.to}`} x={mid.x} y={mid.y - 4} text-anchor="middle">{e.label}</text>;
        })}
        {placed.nodes.map((n) => {
          const state = stateOf(n.id);
          const group = !!folded.members[n.id];
          const open = () => (group ? toggle(n.id) : run && onSelect({ run: run.dag_run_id, task: n.id, try: "" }));
          return (
            <g key={n.id} class={`node ${group ? "tg collapsed" : ""} ${near && !near.has(n.id) ? "dim" : ""}`}
              data-task={n.id} data-group={group ? n.id : undefined} data-state={state ?? "none"} tabIndex={0} role="button"
              aria-label={`${group ? "Expand group" : n.mapped ? "Mapped task" : "Task"} ${n.id}: ${stateLabel(state)}`}
              onMouseEnter={() => setHover(n.id)} onMouseLeave={() => setHover(null)} onClick={open}
              onKeyDown={(e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); open(); } }}>
              <title>{`${n.id} (${n.operator}): ${stateLabel(state)}`}</title>
              <rect x={n.x} y={n.y} width={n.width} height={n.height} rx={group ? 10 : 6} style={group ? undefined : { fill: n.color ?? "#fff" }} />
              <rect x={n.x} y={n.y} width={6} height={n.height} rx={2} style={{ fill: stateColor(state) }} />
              <text x={n.x + 14} y={n.y + 18} class="label">{group ? `▸ ${n.id.split(".").pop()}`
                : `${n.id.split(".").pop()}${n.mapped ? " [ ]" : ""}`}</text>
              <text x={n.x + 14} y={n.y + 34} class="op">{n.operator}</text>
            </g>
          );
        })}
      </PanZoom>
      <Legend />
    </div>
  );
}

/**
 * The graph at its natural size (readable text, whatever the task count) in a box that scrolls both ways;
 * "Fit" scales it to the box's width, + and − zoom (so does Ctrl+wheel).
 */
function PanZoom({ layout, children }: { layout: Layout; children: preact.ComponentChildren }) {
  const [k, setK] = useState(1);
  const box = useRef<HTMLDivElement>(null);
  const zoom = (factor: number) => setK((v) => Math.min(3, Math.max(0.15, v * factor)));
  const fit = () => setK(Math.min(1, ((box.current?.clientWidth ?? 800) - 16) / Math.max(1, layout.width)));
  return (
    <div class="panzoom">
      <div class="zoom-buttons">
        <button type="button" aria-label="Zoom in" onClick={() => zoom(1.25)}>+</button>
        <button type="button" aria-label="Zoom out" onClick={() => zoom(0.8)}>−</button>
        <button type="button" onClick={fit}>Fit</button>
        <button type="button" onClick={() => setK(1)}>100%</button>
      </div>
      <div ref={box} class="graph-scroll" tabIndex={0} aria-label="Graph (scrolls)">
        <svg class="graph" width={Math.max(300, layout.width) * k} height={Math.max(200, layout.height) * k}
          viewBox={`0 0 ${Math.max(layout.width, 300)} ${Math.max(layout.height, 200)}`}
          onWheel={(e) => { if (e.ctrlKey) { e.preventDefault(); zoom(e.deltaY < 0 ? 1.1 : 0.9); } }}>
          <defs>
            <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
              <path d="M 0 0 L 10 5 L 0 10 z" />
            </marker>
          </defs>
          <g>{children}</g>
        </svg>
      </div>
    </div>
  );
}
