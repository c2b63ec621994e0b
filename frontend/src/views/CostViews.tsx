// Beyond Airflow's UI: the schedule preview with the cost of unpausing now, a DAG's cost per day and month,
// and the forecast of a backfill before running it. Numbers come from the API's cost model (estimates).

import { useState } from "preact/hooks";
import { seg } from "../api/client";
import { ErrorBox, Loading } from "../components/common";
import { useSession } from "../context";
import { formatDateZ, formatUsd } from "../lib/format";
import { useResource } from "../lib/hooks";

interface ForecastNumbers { runs: number; tasks: number; cost_usd: number }
interface Preview { next_run_times: string[]; catchup_runs: number; forecast: ForecastNumbers; seconds_per_task: number }
interface Costs { per_day: Record<string, number>; per_month: Record<string, number>; total_usd: number; runs_counted: number;
  worker_memory_mb: number }

/** What unpausing creates now and when the next runs start; compact for the paused DAG's header. */
export function SchedulePreview({ dagId, compact = false }: { dagId: string; compact?: boolean }) {
  const { api } = useSession();
  const preview = useResource((signal) => api.get<Preview>(`/dags/${seg(dagId)}/schedulePreview`, { count: compact ? 3 : 10 }, signal),
    [api, dagId, compact]);
  if (preview.error) return <ErrorBox error={preview.error} />;
  if (!preview.data) return <Loading what="Previewing the schedule" />;
  const p = preview.data;
  const unpause = p.catchup_runs === 0 ? "Unpausing now creates no run at once."
    : `Unpausing now creates ${p.catchup_runs} run(s), ~${p.forecast.tasks} task(s), ≈ ${formatUsd(p.forecast.cost_usd)}.`;
  if (compact) {
    return (
      <div class="banner warning small" data-testid="unpause-forecast">
        Paused. {unpause} {p.next_run_times.length > 0 && <>Next: {p.next_run_times.map(formatDateZ).join(", ")}.</>}
      </div>
    );
  }
  return (
    <div class="forecast" data-testid="schedule-preview">
      <h3>Schedule preview</h3>
      <p>{unpause} <span class="muted small">(at {p.seconds_per_task.toFixed(1)} s per task, from the latest run)</span></p>
      {p.next_run_times.length ? (
        <ol class="small">{p.next_run_times.map((t) => <li key={t}>{formatDateZ(t)}</li>)}</ol>
      ) : <p class="muted small">No scheduled runs ahead.</p>}
    </div>
  );
}

export function DagCosts({ dagId }: { dagId: string }) {
  const { api } = useSession();
  const costs = useResource((signal) => api.get<Costs>(`/dags/${seg(dagId)}/costs`, { days: 90 }, signal), [api, dagId]);
  if (costs.error) return <ErrorBox error={costs.error} />;
  if (!costs.data) return <Loading what="Adding up costs" />;
  const c = costs.data;
  return (
    <div class="forecast" data-testid="dag-costs">
      <h3>Cost, last 90 days (estimated)</h3>
      <p><strong>{formatUsd(c.total_usd)}</strong> over {c.runs_counted} run(s), worker Lambda at {c.worker_memory_mb} MB.</p>
      <table class="table small">
        <thead><tr><th>Month</th><th>Cost</th></tr></thead>
        <tbody>{Object.entries(c.per_month).map(([m, usd]) => <tr key={m}><td>{m}</td><td>{formatUsd(usd)}</td></tr>)}</tbody>
      </table>
      <details><summary class="small">Per day</summary>
        <table class="table small"><tbody>
          {Object.entries(c.per_day).map(([d, usd]) => <tr key={d}><td>{d}</td><td>{formatUsd(usd)}</td></tr>)}
        </tbody></table>
      </details>
    </div>
  );
}

export function BackfillForecast({ dagId }: { dagId: string }) {
  const { api } = useSession();
  const [start, setStart] = useState("");
  const [end, setEnd] = useState("");
  const [result, setResult] = useState<ForecastNumbers | null>(null);
  const [error, setError] = useState<string | null>(null);
  return (
    <form class="forecast" data-testid="backfill-forecast" onSubmit={(e) => {
      e.preventDefault();
      setError(null);
      api.get<ForecastNumbers>(`/dags/${seg(dagId)}/backfillForecast`, { start, end }).then(setResult, (err: Error) => setError(err.message));
    }}>
      <h3>Backfill forecast</h3>
      <label>From <input type="date" name="start" required value={start} onInput={(e) => setStart((e.target as HTMLInputElement).value)} /></label>{" "}
      <label>to <input type="date" name="end" required value={end} onInput={(e) => setEnd((e.target as HTMLInputElement).value)} /></label>{" "}
      <button type="submit">Forecast</button>
      {error && <div class="error small" role="alert">{error}</div>}
      {result && <p data-testid="backfill-result">This backfill creates {result.runs} runs, ~{result.tasks.toLocaleString("en")} tasks,
        ≈ {formatUsd(result.cost_usd)}. Run it with <code>levante dags backfill {dagId} -s {start} -e {end}</code>.</p>}
    </form>
  );
}
