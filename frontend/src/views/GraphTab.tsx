import { useMemo, useRef, useState } from "preact/hooks";
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
  }, [api, dagId, runId], { refetchOn: [refresh], pollWhile: (s) => isRunActive(s.run?.state), intervalMs: 1500 });
  const placed = useMemo(() => (graph.data ? layoutGraph(graph.data) : null), [graph.data]);

  if (graph.error) return <ErrorBox error={graph.error} retry={graph.reload} />;
  if (!placed) return <Loading what="Laying out the graph" />;
  const run = states.data?.run;
  return (
    <div class="graph-view">
      <div class="muted small">
        {run ? <>Showing run <code>{run.dag_run_id}</code> ({stateLabel(run.state)})</> : "No runs yet: showing the structure."}
      </div>
      <PanZoom layout={placed}>
        {placed.groups.map((g) => (
          <g key={g.id} class="tg">
            <rect x={g.x} y={g.y} width={g.width} height={g.height} rx={8} />
            <text x={g.x + 8} y={g.y + 16}>{g.label}</text>
          </g>
        ))}
        {placed.edges.map((e) => (
          <polyline key={`${e.from}>${e.to}`} class="edge" marker-end="url(#arrow)"
            points={e.points.map((p) => `${p.x},${p.y}`).join(" ")} />
        ))}
        {placed.nodes.map((n) => {
          const state = states.data?.states[n.id] ?? null;
          return (
            <g key={n.id} class="node" data-task={n.id} data-state={state ?? "none"} tabIndex={0} role="button"
              onClick={() => run && onSelect({ run: run.dag_run_id, task: n.id, try: "" })}>
              <title>{`${n.id} (${n.operator}): ${stateLabel(state)}`}</title>
              <rect x={n.x} y={n.y} width={n.width} height={n.height} rx={6} style={{ fill: n.color ?? "#fff" }} />
              <rect x={n.x} y={n.y} width={6} height={n.height} rx={2} style={{ fill: stateColor(state) }} />
              <text x={n.x + 14} y={n.y + 18} class="label">{n.id.split(".").pop()}</text>
              <text x={n.x + 14} y={n.y + 34} class="op">{n.operator}</text>
            </g>
          );
        })}
      </PanZoom>
      <Legend />
    </div>
  );
}

function PanZoom({ layout, children }: { layout: Layout; children: preact.ComponentChildren }) {
  const [view, setView] = useState({ x: 0, y: 0, k: 1 });
  const drag = useRef<{ x: number; y: number } | null>(null);
  const zoom = (factor: number) => setView((v) => ({ ...v, k: Math.min(4, Math.max(0.2, v.k * factor)) }));
  return (
    <div class="panzoom">
      <div class="zoom-buttons">
        <button type="button" aria-label="Zoom in" onClick={() => zoom(1.25)}>+</button>
        <button type="button" aria-label="Zoom out" onClick={() => zoom(0.8)}>−</button>
        <button type="button" onClick={() => setView({ x: 0, y: 0, k: 1 })}>Fit</button>
      </div>
      <svg class="graph" width="100%" height={Math.min(640, Math.max(220, layout.height + 20))}
        viewBox={`0 0 ${Math.max(layout.width, 300)} ${Math.max(layout.height, 200)}`}
        onWheel={(e) => { e.preventDefault(); zoom(e.deltaY < 0 ? 1.1 : 0.9); }}
        onPointerDown={(e) => { drag.current = { x: e.clientX - view.x, y: e.clientY - view.y }; }}
        onPointerMove={(e) => { if (drag.current && e.buttons) setView((v) => ({ ...v, x: e.clientX - drag.current!.x, y: e.clientY - drag.current!.y })); }}
        onPointerUp={() => { drag.current = null; }}>
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" />
          </marker>
        </defs>
        <g transform={`translate(${view.x} ${view.y}) scale(${view.k})`}>{children}</g>
      </svg>
    </div>
  );
}
