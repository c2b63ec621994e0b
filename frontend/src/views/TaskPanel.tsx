import { useState } from "preact/hooks";
import { seg } from "../api/client";
import type { TaskInstance, XCom } from "../api/types";
import { can } from "../auth";
import { ErrorBox, Loading, StateBadge } from "../components/common";
import { useSession } from "../context";
import { elapsed, formatDate, formatDuration } from "../lib/format";
import { useNow, useResource } from "../lib/hooks";
import { isTaskActive, stateColor } from "../lib/states";
import { LogView } from "./LogView";

interface Props {
  dagId: string;
  runId: string;
  taskId: string;
  tryNumber?: number;
  onClose: () => void;
  onTry: (n: number) => void;
  onChanged: () => void;
}

export function TaskPanel({ dagId, runId, taskId, tryNumber, onClose, onTry, onChanged }: Props) {
  const { api } = useSession();
  const base = `/dags/${seg(dagId)}/dagRuns/${seg(runId)}/taskInstances/${seg(taskId)}`;
  const ti = useResource((signal) => api.get<TaskInstance>(base, {}, signal), [api, base],
    { pollWhile: (t) => isTaskActive(t.state), intervalMs: 1500 });
  const xcoms = useResource((signal) => api.get<{ xcom_entries: XCom[] }>(`${base}/xcomEntries`, {}, signal),
    [api, base, ti.data?.state]);
  const now = useNow(1000);

  const t = ti.data;
  const shownTry = tryNumber ?? t?.try_number ?? 0;
  return (
    <aside class="task-panel" aria-label={`Task ${taskId}`}>
      <div class="panel-head">
        <h2 title={taskId}>{taskId}</h2>
        <button type="button" class="link" aria-label="Close" onClick={onClose}>✕</button>
      </div>
      <div class="muted small">run <code>{runId}</code></div>
      {ti.error && !t && <ErrorBox error={ti.error} retry={ti.reload} />}
      {!t && !ti.error && <Loading what="Loading the task instance" />}
      {t && (
        <>
          <table class="table kv small">
            <tbody>
              <tr><th>State</th><td data-testid="ti-state"><StateBadge state={t.state} /></td></tr>
              <tr><th>Try</th><td>{t.try_number} of {t.max_tries + 1}</td></tr>
              <tr><th>Duration</th><td>{formatDuration(t.duration ?? elapsed(t.start_date, t.end_date, now))}</td></tr>
              <tr><th>Started</th><td>{formatDate(t.start_date)}</td></tr>
              <tr><th>Ended</th><td>{formatDate(t.end_date)}</td></tr>
              <tr><th>Operator</th><td>{t.operator ?? "—"}</td></tr>
              {t.hostname && <tr><th>Host</th><td>{t.hostname}</td></tr>}
              {t.next_retry_at && <tr><th>Next retry</th><td>{formatDate(t.next_retry_at)}</td></tr>}
            </tbody>
          </table>
          {t.error && <pre class="ti-error">{t.error}</pre>}
          <Actions dagId={dagId} runId={runId} ti={t} onDone={() => { ti.reload(); onChanged(); }} />
          <h3>XComs</h3>
          <XComList xcoms={xcoms.data?.xcom_entries} error={xcoms.error} />
          <h3>Rendered templates</h3>
          {t.rendered_fields ? <pre class="json">{JSON.stringify(t.rendered_fields, null, 2)}</pre>
            : <p class="muted small">{t.rendered_fields_note ?? "Not available."}</p>}
          <h3>Log</h3>
          {t.try_number === 0 ? <p class="muted small">This task has not run yet.</p> : (
            <>
              <div class="tries" role="tablist">
                {Array.from({ length: t.try_number }, (_, i) => i + 1).map((n) => {
                  const state = t.tries?.find((x) => x.try_number === n)?.state ?? null;
                  return (
                    <button key={n} type="button" role="tab" aria-selected={n === shownTry}
                      class={n === shownTry ? "selected" : ""} onClick={() => onTry(n)}>
                      <i style={{ background: stateColor(state) }} />try {n}
                    </button>
                  );
                })}
              </div>
              <LogView api={api} path={`${base}/logs/${shownTry}`} key={`${base}/${shownTry}`} />
            </>
          )}
        </>
      )}
    </aside>
  );
}

function XComList({ xcoms, error }: { xcoms?: XCom[]; error?: Error }) {
  if (error) return <div class="error small">{error.message}</div>;
  if (!xcoms) return <Loading what="Loading XComs" />;
  if (xcoms.length === 0) return <p class="muted small">No XComs.</p>;
  return (
    <table class="table small xcoms">
      <tbody>
        {xcoms.map((x) => (
          <tr key={x.key}><th>{x.key}</th><td><pre class="json">{JSON.stringify(x.value, null, 2)}</pre></td></tr>
        ))}
      </tbody>
    </table>
  );
}

function Actions({ dagId, runId, ti, onDone }: { dagId: string; runId: string; ti: TaskInstance; onDone: () => void }) {
  const { api, role } = useSession();
  const [downstream, setDownstream] = useState(true);
  const [pending, setPending] = useState<string[] | null>(null); // the dry run's task ids, awaiting confirmation
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const allowed = can(role, "operator");
  const why = allowed ? undefined : "Your role cannot change task states";

  const run = (work: () => Promise<void>) => {
    setBusy(true);
    setMessage(null);
    work().catch((err: Error) => setMessage(err.message)).finally(() => setBusy(false));
  };
  const clear = (dryRun: boolean) => run(async () => {
    const result = await api.post<{ task_instances: TaskInstance[] }>(`/dags/${seg(dagId)}/clearTaskInstances`, {
      dag_run_id: runId, task_ids: [ti.task_id], include_downstream: downstream, only_failed: false, dry_run: dryRun,
    });
    const ids = result.task_instances.map((t) => t.task_id);
    if (dryRun) return setPending(ids);
    setPending(null);
    setMessage(`Cleared ${ids.length} task(s): ${ids.join(", ")}`);
    onDone();
  });
  const mark = (state: "success" | "failed") => run(async () => {
    await api.patch(`/dags/${seg(dagId)}/dagRuns/${seg(runId)}/taskInstances/${seg(ti.task_id)}`, { new_state: state });
    setMessage(`Marked ${state}.`);
    onDone();
  });

  return (
    <div class="ti-actions">
      <label class="small"><input type="checkbox" checked={downstream}
        onChange={(e) => setDownstream((e.target as HTMLInputElement).checked)} /> with downstream</label>
      {pending ? (
        <span class="confirm">
          Clear {pending.length} task(s)? <span class="muted small">{pending.join(", ")}</span>
          <button type="button" class="danger" disabled={busy} onClick={() => clear(false)}>Confirm clear</button>
          <button type="button" onClick={() => setPending(null)}>Cancel</button>
        </span>
      ) : (
        <button type="button" disabled={!allowed || busy} title={why} onClick={() => clear(true)}>Clear</button>
      )}
      <button type="button" disabled={!allowed || busy || ti.state === "success"} title={why} onClick={() => mark("success")}>Mark success</button>
      <button type="button" disabled={!allowed || busy || ti.state === "failed"} title={why} onClick={() => mark("failed")}>Mark failed</button>
      {message && <div class="small" role="status">{message}</div>}
    </div>
  );
}
