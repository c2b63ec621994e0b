import type { DagDetail } from "../api/types";
import { formatDate, formatDuration } from "../lib/format";
import { scheduleText } from "../lib/schedule";
import { BackfillForecast, DagCosts, SchedulePreview } from "./CostViews";

export function DetailsTab({ dag }: { dag: DagDetail }) {
  const rows: [string, string][] = [
    ["Schedule", `${dag.schedule_interval ?? "None"} — ${scheduleText(dag.schedule_interval, dag.timetable_description)}`],
    ["Start date", formatDate(dag.start_date)],
    ["End date", formatDate(dag.end_date)],
    ["Catchup", String(dag.catchup)],
    ["Max active runs", String(dag.max_active_runs ?? "—")],
    ["Max active tasks", String(dag.max_active_tasks ?? "—")],
    ["Run timeout", dag.dagrun_timeout ? formatDuration(dag.dagrun_timeout) : "—"],
    ["Timezone", dag.timezone ?? "—"],
    ["Owner", dag.owners.join(", ") || "—"],
    ["File", dag.fileloc ?? "—"],
    ["Tasks", String(dag.tasks?.length ?? dag.task_count ?? "—")],
  ];
  return (
    <div class="details">
      <table class="table kv">
        <tbody>{rows.map(([k, v]) => <tr key={k}><th>{k}</th><td>{v}</td></tr>)}</tbody>
      </table>
      <SchedulePreview dagId={dag.dag_id} />
      <DagCosts dagId={dag.dag_id} />
      <BackfillForecast dagId={dag.dag_id} />
      <h3>Params</h3>
      {Object.keys(dag.params ?? {}).length === 0 ? <p class="muted">This DAG has no params.</p>
        : <pre class="json" tabIndex={0}>{JSON.stringify(dag.params, null, 2)}</pre>}
    </div>
  );
}
