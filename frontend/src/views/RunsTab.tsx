import { useState } from "preact/hooks";
import { seg } from "../api/client";
import type { DagRun } from "../api/types";
import { Empty, ErrorBox, Loading, StateBadge } from "../components/common";
import { useSession } from "../context";
import { formatDate, formatDuration } from "../lib/format";
import { useResource } from "../lib/hooks";
import { isRunActive } from "../lib/states";

const LIMIT = 25;

export function RunsTab({ dagId, onSelect }: { dagId: string; onSelect: (q: Record<string, string>) => void }) {
  const { api } = useSession();
  const [offset, setOffset] = useState(0);
  const runs = useResource((signal) => api.get<{ dag_runs: DagRun[]; total_entries: number }>(
    `/dags/${seg(dagId)}/dagRuns`, { limit: LIMIT, offset }, signal), [api, dagId, offset],
  { pollWhile: (r) => r.dag_runs.some((run) => isRunActive(run.state)), intervalMs: 2000 });

  if (runs.error && !runs.data) return <ErrorBox error={runs.error} retry={runs.reload} />;
  if (!runs.data) return <Loading what="Loading runs" />;
  if (runs.data.total_entries === 0) return <Empty>This DAG has not run yet.</Empty>;
  const total = runs.data.total_entries;
  return (
    <div class="runs">
      <div class="table-wrap"><table class="table">
        <thead>
          <tr><th>State</th><th>Run id</th><th>Type</th><th>Logical date</th><th>Start</th><th>Duration</th><th>Conf</th><th>Note</th></tr>
        </thead>
        <tbody>
          {runs.data.dag_runs.map((run) => (
            <tr key={run.dag_run_id} data-run={run.dag_run_id}>
              <td><StateBadge state={run.state} /></td>
              <td><button type="button" class="link" onClick={() => onSelect({ tab: "grid", run: run.dag_run_id, task: "", panel: "run" })}>
                {run.dag_run_id}</button></td>
              <td>{run.run_type}</td>
              <td class="small">{formatDate(run.logical_date)}</td>
              <td class="small">{formatDate(run.start_date)}</td>
              <td>{formatDuration(run.duration)}</td>
              <td><code class="conf">{run.conf && Object.keys(run.conf).length ? JSON.stringify(run.conf) : "{}"}</code></td>
              <td class="small">{run.note ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table></div>
      <div class="pager">
        <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - LIMIT))}>‹ Newer</button>
        <span>{offset + 1}–{Math.min(total, offset + LIMIT)} of {total}</span>
        <button type="button" disabled={offset + LIMIT >= total} onClick={() => setOffset(offset + LIMIT)}>Older ›</button>
      </div>
    </div>
  );
}
