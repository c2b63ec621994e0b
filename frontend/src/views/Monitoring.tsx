import { useEffect, useState } from "preact/hooks";
import type { DagCollection } from "../api/types";
import { LineChart } from "../components/Chart";
import { Empty, ErrorBox, Loading, StateBadge } from "../components/common";
import { useSession } from "../context";
import { formatDate, formatDateZ, formatDuration, relativeAge, zoneLabel } from "../lib/format";
import { useResource } from "../lib/hooks";
import { addSample, seriesFromMinutes, type MinutePoint, type Sample } from "../lib/monitoring";
import { href } from "../lib/route";

interface Queue { name: string; exists: boolean; visible: number | null; in_flight: number | null; delayed: number | null }
interface MonitoringData {
  queue: Queue;
  dead_letter_queue: Queue;
  scheduler: { latest_heartbeat: string | null; heartbeat_age_seconds: number | null;
    last_tick_duration_seconds: number | null; status: string };
  tasks: { queued: number; running: number; oldest_queued_age_seconds: number | null };
  throughput: { window_minutes: number; finished: number; failed: number; retried: number;
    tasks_per_minute: number; failure_rate: number | null; series?: MinutePoint[] };
  recent_failures?: { dag_id: string; dag_run_id: string; task_id?: string; end_date?: string | null }[];
  time: string;
}

export function Monitoring() {
  const { api } = useSession();
  const [samples, setSamples] = useState<Sample[]>([]);
  const data = useResource((signal) => api.get<MonitoringData>("/monitoring", {}, signal), [api],
    { pollWhile: () => true, intervalMs: 3000 });
  const m = data.data;
  useEffect(() => {
    if (m) setSamples((s) => addSample(s, { at: m.time, tasksPerMinute: m.throughput.tasks_per_minute,
      failureRate: m.throughput.failure_rate }));
  }, [m]);

  if (data.error && !m) return <ErrorBox error={data.error} retry={data.reload} />;
  if (!m) return <Loading what="Loading monitoring" />;
  const chart = m.throughput.series ? seriesFromMinutes(m.throughput.series) : samples;
  const healthy = m.scheduler.status === "healthy";
  return (
    <section class="monitoring" data-updated={m.time}>
      <h1>Monitoring</h1>
      {data.error && <ErrorBox error={data.error} />}
      <div class="cards">
        <Card label="Queued messages" value={m.queue.visible} hint={m.queue.name} testid="queue-depth" />
        <Card label="In flight" value={m.queue.in_flight} hint="received, not yet deleted" testid="in-flight" />
        <Card label="Delayed" value={m.queue.delayed} hint="retries waiting" />
        <Card label="Dead-letter queue" value={m.dead_letter_queue.visible} hint={m.dead_letter_queue.name}
          warn={(m.dead_letter_queue.visible ?? 0) > 0} testid="dlq-depth" />
        <Card label="Tasks queued / running" value={`${m.tasks.queued} / ${m.tasks.running}`} testid="tasks-active" />
        <Card label="Oldest queued task" value={m.tasks.oldest_queued_age_seconds == null ? "—" : formatDuration(m.tasks.oldest_queued_age_seconds)} />
        <Card label="Scheduler" value={m.scheduler.status} warn={!healthy} testid="scheduler-status"
          hint={`heartbeat ${relativeAge(m.scheduler.latest_heartbeat)}`} />
        <Card label="Last tick" value={formatDuration(m.scheduler.last_tick_duration_seconds)} hint="scheduler tick duration" />
        <Card label={`Tasks / min (last ${m.throughput.window_minutes} min)`} value={m.throughput.tasks_per_minute.toFixed(2)}
          testid="tasks-per-minute" hint={`${m.throughput.finished} tries finished`} />
        <Card label={`Failed tries (last ${m.throughput.window_minutes} min)`} testid="failed-tries"
          value={m.throughput.failed}
          hint={`${m.throughput.failure_rate == null ? "no tries" : `${(m.throughput.failure_rate * 100).toFixed(1)}% of tries`}, ${m.throughput.retried} retried`}
          warn={(m.throughput.failure_rate ?? 0) > 0.2} />
      </div>
      <h2>Throughput, last hour ({zoneLabel()})</h2>
      {chart.length < 2 ? <p class="muted small">Collecting samples…</p> : (
        <LineChart labels={chart.map((s) => formatDate(s.at).slice(11, 16))} series={[
          { label: "tasks/min", color: "#2563eb", values: chart.map((s) => s.tasksPerMinute), format: (v) => v.toFixed(1) },
          { label: "failure rate", color: "#dc2626", values: chart.map((s) => s.failureRate), format: (v) => `${(v * 100).toFixed(0)}%` },
        ]} />
      )}
      <p class="muted small">Updated {formatDateZ(m.time)}</p>
      <h2>DAGs whose latest run failed</h2>
      <p class="muted small">Failed tries above count every failed attempt in the hour, retried ones included; this
        list shows each DAG's latest finished run when it failed.</p>
      <RecentFailures given={m.recent_failures} />
    </section>
  );
}

function Card({ label, value, hint, warn, testid }:
  { label: string; value: string | number | null; hint?: string; warn?: boolean; testid?: string }) {
  return (
    <div class={`card ${warn ? "warn" : ""}`} data-testid={testid}>
      <div class="card-label small">{label}</div>
      <div class="card-value">{value ?? "—"}</div>
      {hint && <div class="muted small">{hint}</div>}
    </div>
  );
}

/** The API's recent failures, or else the DAGs whose last run failed (one list call). */
function RecentFailures({ given }: { given?: MonitoringData["recent_failures"] }) {
  const { api } = useSession();
  const failed = useResource((signal) => given ? Promise.resolve(given)
    : api.get<DagCollection>("/dags", { limit: 500, order_by: "-last_run" }, signal).then((c) => c.dags
      .filter((d) => d.last_run_state === "failed")
      .map((d) => ({ dag_id: d.dag_id, dag_run_id: d.last_run_id ?? "", end_date: d.last_run_end_date }))), [api, !!given]);
  if (failed.error) return <ErrorBox error={failed.error} />;
  if (!failed.data) return <Loading />;
  if (failed.data.length === 0) return <Empty>No DAG's latest run failed.</Empty>;
  return (
    <div class="table-wrap"><table class="table failures">
      <tbody>
        {failed.data.slice(0, 20).map((f) => (
          <tr key={`${f.dag_id}/${f.dag_run_id}/${f.task_id ?? ""}`}>
            <td><StateBadge state="failed" /></td>
            <td><a href={href(["dags", f.dag_id], { tab: "grid", run: f.dag_run_id, task: f.task_id })}>{f.dag_id}</a></td>
            <td><code>{f.dag_run_id}</code>{f.task_id && <> · {f.task_id}</>}</td>
            <td class="small">{formatDate(f.end_date)}</td>
          </tr>
        ))}
      </tbody>
    </table></div>
  );
}
