import { useEffect, useMemo, useState } from "preact/hooks";
import { seg } from "../api/client";
import type { DagRun } from "../api/types";
import { Empty, ErrorBox, Loading } from "../components/common";
import { useSession } from "../context";
import { formatDate, formatDateRelative, formatDuration, zoneLabel } from "../lib/format";
import { buildGrid, hasActiveRuns, visibleRows, type GridCell, type GridGroup, type GridRow, type GridTask } from "../lib/grid";
import { useResource } from "../lib/hooks";
import { stateColor, stateLabel } from "../lib/states";

interface GridResponse {
  tasks: GridTask[];
  task_groups: GridGroup[];
  dag_runs: (DagRun & { task_instances: Record<string, GridCell> })[];
}

type Select = (changes: Record<string, string>) => void;

export function GridTab({ dagId, selected, onSelect, refresh }:
  { dagId: string; selected: Record<string, string>; onSelect: Select; refresh: number }) {
  const { api } = useSession();
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());
  const grid = useResource((signal) => api.get<GridResponse>(`/dags/${seg(dagId)}/grid`, { limit: 25 }, signal),
    [api, dagId], { refetchOn: [selected.run, refresh],
      // Always poll, so runs started elsewhere (scheduler, CLI, API) appear; fast while runs are active or a
      // just-triggered (selected) run has not shown up yet.
      pollWhile: () => true,
      intervalMs: (g) => (hasActiveRuns(g.dag_runs) || (!!selected.run && !g.dag_runs.some((r) => r.dag_run_id === selected.run))
        ? 1500 : 5000) });
  const model = useMemo(() => grid.data && buildGrid(
    grid.data.dag_runs.map((r) => ({ ...r, cells: r.task_instances ?? {} })), grid.data.tasks, grid.data.task_groups,
  ), [grid.data]);

  // A task chosen without a run (keyboard search): show it in the latest run.
  const latest = grid.data?.dag_runs[0]?.dag_run_id;
  useEffect(() => {
    if (selected.task && !selected.run && latest) onSelect({ run: latest });
  }, [selected.task, selected.run, latest]); // eslint-disable-line react-hooks/exhaustive-deps

  if (grid.error && !grid.data) return <ErrorBox error={grid.error} retry={grid.reload} />;
  if (!model) return <Loading what="Loading the grid" />;
  if (model.runs.length === 0) return <Empty>No runs yet. Trigger one, or unpause the DAG to let the scheduler run it.</Empty>;
  const maxDuration = Math.max(1, ...model.runs.map((r) => r.duration ?? 0));
  const toggle = (group: string) => {
    const next = new Set(collapsed);
    if (!next.delete(group)) next.add(group);
    setCollapsed(next);
  };

  return (
    <div class="grid-view" tabIndex={0} aria-label="Grid of runs and tasks">
      {grid.error && <ErrorBox error={grid.error} />}
      <table class="grid" data-active={hasActiveRuns(model.runs) ? "true" : "false"}>
        <thead>
          <tr>
            <th class="task-col" />
            {model.runs.map((run) => (
              <th key={run.dag_run_id} class={`run-col ${selected.run === run.dag_run_id ? "selected" : ""}`}>
                <button type="button" class="run-bar" data-run={run.dag_run_id} data-state={run.state}
                  aria-label={`Run ${run.dag_run_id}: ${stateLabel(run.state)}`}
                  title={`${run.dag_run_id}\n${stateLabel(run.state)} · ${formatDate(run.logical_date)} ${zoneLabel()} · ${formatDuration(run.duration)}`}
                  style={{ height: `${8 + 40 * ((run.duration ?? 0) / maxDuration)}px`, background: stateColor(run.state) }}
                  onClick={() => onSelect({ run: run.dag_run_id, task: "", try: "", panel: "run" })} />
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {visibleRows(model.rows, collapsed).map((row) => (
            <tr key={row.id} class={row.kind}>
              <th class="task-col" style={{ paddingLeft: `${6 + row.depth * 14}px` }} title={row.id}>
                {row.kind === "group"
                  ? <button type="button" class="link group-toggle" aria-expanded={!collapsed.has(row.id)}
                    onClick={() => toggle(row.id)}>{collapsed.has(row.id) ? "▸" : "▾"} {row.label}</button>
                  : row.label}
              </th>
              {row.cells.map((cell, i) => (
                <td key={model.runs[i].dag_run_id} class={selected.run === model.runs[i].dag_run_id ? "selected" : ""}>
                  <Square row={row} cell={cell} runId={model.runs[i].dag_run_id}
                    active={selected.run === model.runs[i].dag_run_id && selected.task === row.id}
                    onClick={() => row.kind === "task"
                      ? onSelect({ run: model.runs[i].dag_run_id, task: row.id, try: "", panel: "" })
                      : toggle(row.id)} />
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <Legend />
    </div>
  );
}

function Square({ row, cell, runId, active, onClick }:
  { row: GridRow; cell: GridCell | null; runId: string; active: boolean; onClick: () => void }) {
  const state = cell?.state ?? null;
  const waiting = (state === "up_for_retry" || state === "up_for_reschedule") && cell?.next_retry_at
    ? ` · next attempt ${formatDateRelative(cell.next_retry_at)}` : "";
  const title = `${row.id}\n${stateLabel(state)}${cell?.duration != null ? ` · ${formatDuration(cell.duration)}` : ""}`
    + `${cell?.try_number && cell.try_number > 1 ? ` · try ${cell.try_number}` : ""}${waiting}`
    + (cell?.mapped ? ` · ${cell.mapped.count} mapped instance${cell.mapped.count === 1 ? "" : "s"}` : "");
  return (
    <button type="button" class={`square ${row.kind} ${active ? "active" : ""} ${cell?.mapped ? "mapped" : ""}`}
      data-task={row.id} data-run={runId} data-mapped={cell?.mapped?.count}
      data-state={state ?? "none"} style={{ background: stateColor(state) }} aria-label={title.replace("\n", ": ")}
      title={title} onClick={onClick} />
  );
}

const LEGEND = ["success", "running", "failed", "upstream_failed", "skipped", "up_for_retry", "up_for_reschedule",
  "queued", "scheduled", null];

export function Legend() {
  return (
    <div class="legend small">
      {LEGEND.map((s) => <span key={s ?? "none"}><i style={{ background: stateColor(s) }} />{stateLabel(s)}</span>)}
    </div>
  );
}
