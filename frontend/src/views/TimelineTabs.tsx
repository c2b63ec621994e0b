// Gantt of one run, task duration and queued time over runs, and the calendar of runs per day:
// all drawn from the grid endpoint (the latest 25 runs) or the runs list, no extra API.

import { useMemo, useState } from "preact/hooks";
import { seg } from "../api/client";
import type { DagRun } from "../api/types";
import { LineChart } from "../components/Chart";
import { Empty, ErrorBox, Loading } from "../components/common";
import { useSession } from "../context";
import { formatDate, formatDuration, zoneLabel } from "../lib/format";
import type { GridCell } from "../lib/grid";
import { useNow, useResource } from "../lib/hooks";
import { isRunActive, stateColor, stateLabel } from "../lib/states";
import { calendarDays, gantt, queuedSeconds } from "../lib/timeline";

interface GridData {
  tasks: { task_id: string }[];
  dag_runs: (DagRun & { task_instances: Record<string, GridCell> })[];
}

function useGrid(dagId: string, refresh: number) {
  const { api } = useSession();
  return useResource((signal) => api.get<GridData>(`/dags/${seg(dagId)}/grid`, { limit: 25 }, signal), [api, dagId],
    { refetchOn: [refresh], pollWhile: () => true, intervalMs: (g) => (g.dag_runs.some((r) => isRunActive(r.state)) ? 2000 : 8000) });
}

export function GanttTab({ dagId, runId, refresh, onSelect }:
  { dagId: string; runId?: string; refresh: number; onSelect: (q: Record<string, string>) => void }) {
  const grid = useGrid(dagId, refresh);
  const now = useNow(1000);
  if (grid.error && !grid.data) return <ErrorBox error={grid.error} retry={grid.reload} />;
  if (!grid.data) return <Loading what="Loading runs" />;
  const run = grid.data.dag_runs.find((r) => r.dag_run_id === runId) ?? grid.data.dag_runs[0];
  if (!run) return <Empty>No runs yet.</Empty>;
  const g = gantt(grid.data.tasks.map((t) => t.task_id), run.task_instances ?? {}, now);
  const span = Math.max(1, g.to - g.from);
  const pct = (t: number) => `${((t - g.from) / span) * 100}%`;
  return (
    <div class="gantt" data-run={run.dag_run_id}>
      <p class="muted small">Run <code>{run.dag_run_id}</code>, {formatDate(new Date(g.from).toISOString())} {zoneLabel()} to{" "}
        {formatDate(new Date(g.to).toISOString())} ({formatDuration(span / 1000)}). Light: queued; solid: running.</p>
      <table class="gantt-table">
        <tbody>
          {g.bars.map((b) => (
            <tr key={b.task}>
              <th class="small" title={b.task}>{b.task}</th>
              <td>
                <div class="gantt-lane">
                  {b.queued !== null && b.start !== null && (
                    <span class="gantt-queued" style={{ left: pct(b.queued), width: pct(g.from + b.start - b.queued) }} />
                  )}
                  {b.start !== null && b.end !== null && (
                    <button type="button" class="gantt-bar" data-task={b.task} data-state={b.state ?? "none"}
                      aria-label={`${b.task}: ${stateLabel(b.state)}, ${formatDuration((b.end - b.start) / 1000)}`}
                      style={{ left: pct(b.start), width: `max(3px, ${pct(g.from + b.end - b.start)})`, background: stateColor(b.state) }}
                      onClick={() => onSelect({ tab: "grid", run: run.dag_run_id, task: b.task, try: "" })} />
                  )}
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function DurationsTab({ dagId, refresh }: { dagId: string; refresh: number }) {
  const grid = useGrid(dagId, refresh);
  const [task, setTask] = useState("");
  const runs = useMemo(() => [...(grid.data?.dag_runs ?? [])].reverse(), [grid.data]);
  if (grid.error && !grid.data) return <ErrorBox error={grid.error} retry={grid.reload} />;
  if (!grid.data) return <Loading what="Loading runs" />;
  if (runs.length < 2) return <Empty>Durations need at least two runs.</Empty>;
  const labels = runs.map((r) => formatDate(r.logical_date).slice(5, 16));
  const chosen = task || grid.data.tasks[0]?.task_id;
  return (
    <div class="durations">
      <h3>Run duration ({zoneLabel()})</h3>
      <LineChart labels={labels} series={[{ label: "run duration", color: "#2563eb", values: runs.map((r) => r.duration ?? null),
        format: (v) => formatDuration(v) }]} />
      <h3>
        <label>Task <select aria-label="Task" value={chosen} onChange={(e) => setTask((e.target as HTMLSelectElement).value)}>
          {grid.data.tasks.map((t) => <option key={t.task_id} value={t.task_id}>{t.task_id}</option>)}
        </select></label>
      </h3>
      <LineChart labels={labels} series={[
        { label: "duration", color: "#16a34a", values: runs.map((r) => r.task_instances?.[chosen]?.duration ?? null), format: (v) => formatDuration(v) },
        { label: "queued time", color: "#9333ea", values: runs.map((r) => queuedSeconds(r.task_instances?.[chosen])), format: (v) => formatDuration(v) },
      ]} />
    </div>
  );
}

export function CalendarTab({ dagId, refresh }: { dagId: string; refresh: number }) {
  const { api } = useSession();
  const runs = useResource((signal) => api.get<{ dag_runs: DagRun[] }>(`/dags/${seg(dagId)}/dagRuns`, { limit: 100 }, signal),
    [api, dagId], { refetchOn: [refresh] });
  if (runs.error && !runs.data) return <ErrorBox error={runs.error} retry={runs.reload} />;
  if (!runs.data) return <Loading what="Loading runs" />;
  const days = calendarDays(runs.data.dag_runs);
  if (days.length === 0) return <Empty>No runs yet.</Empty>;
  return (
    <div class="calendar">
      <p class="muted small">The latest 100 runs by the UTC day of their logical date, each day in its most urgent run state.</p>
      <ul class="calendar-days">
        {days.map((d) => (
          <li key={d.day} data-day={d.day} data-state={d.state ?? "none"} title={`${d.day}: ${d.runs} run(s), ${stateLabel(d.state)}`}>
            <i style={{ background: stateColor(d.state) }} /> {d.day} <span class="muted">{d.runs} run(s) · {stateLabel(d.state)}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
