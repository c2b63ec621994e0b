// One run, chosen from the grid's run bar: its details, cost and note, and the run actions with Airflow's
// options (clear all or only failed, with the dry-run list; mark success/failed; delete).

import { useState } from "preact/hooks";
import { seg } from "../api/client";
import type { DagRun, TaskInstance } from "../api/types";
import { can } from "../auth";
import { ErrorBox, Loading, StateBadge } from "../components/common";
import { useSession } from "../context";
import { formatDateZ, formatDuration, formatUsd } from "../lib/format";
import { useResource } from "../lib/hooks";
import { isRunActive } from "../lib/states";
import { NoteEditor } from "./TaskActions";

type Action = "clear" | "clear_failed" | "success" | "failed" | "delete";
const ASK: Record<Action, string> = { clear: "Clear every task of", clear_failed: "Clear the failed tasks of",
  success: "Mark success", failed: "Mark failed", delete: "Delete" };

export function RunPanel({ dagId, runId, onClose, onChanged }:
  { dagId: string; runId: string; onClose: () => void; onChanged: () => void }) {
  const { api, role } = useSession();
  const path = `/dags/${seg(dagId)}/dagRuns/${seg(runId)}`;
  const run = useResource((signal) => api.get<DagRun>(path, {}, signal), [api, path],
    { pollWhile: (r) => isRunActive(r.state), intervalMs: 2000 });
  const [pending, setPending] = useState<{ action: Action; items: string[] } | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const allowed = can(role, "operator");
  const r = run.data;

  const act = async (action: Action, dryRun: boolean) => {
    setMessage(null);
    try {
      if (action === "clear" || action === "clear_failed") {
        const result = await api.post<{ task_instances: TaskInstance[] }>(`${path}/clear`,
          { only_failed: action === "clear_failed", dry_run: dryRun });
        if (dryRun) return setPending({ action, items: result.task_instances.map((t) => t.task_id) });
      } else if (dryRun) {
        return setPending({ action, items: [] });
      } else if (action === "delete") {
        await api.request("DELETE", path);
        setPending(null);
        onClose();
        return onChanged();
      } else {
        await api.patch(path, { state: action });
      }
      setPending(null);
      setMessage("Done.");
      run.reload();
      onChanged();
    } catch (err) {
      setMessage((err as Error).message);
    }
  };

  return (
    <aside class="task-panel run-panel" aria-label={`Run ${runId}`}>
      <div class="panel-head">
        <h2 title={runId}>Run {runId}</h2>
        <button type="button" class="link" aria-label="Close" onClick={onClose}>✕</button>
      </div>
      {run.error && !r && <ErrorBox error={run.error} retry={run.reload} />}
      {!r && !run.error && <Loading what="Loading the run" />}
      {r && (
        <>
          <table class="table kv small">
            <tbody>
              <tr><th>State</th><td data-testid="run-state"><StateBadge state={r.state} /></td></tr>
              <tr><th>Type</th><td>{r.run_type}</td></tr>
              <tr><th>Logical date</th><td>{formatDateZ(r.logical_date)}</td></tr>
              <tr><th>Started</th><td>{formatDateZ(r.start_date)}</td></tr>
              <tr><th>Ended</th><td>{formatDateZ(r.end_date)}</td></tr>
              <tr><th>Duration</th><td>{formatDuration(r.duration)}</td></tr>
              <tr><th>Cost (estimated)</th><td data-testid="run-cost">{formatUsd(r.cost_usd)}</td></tr>
              <tr><th>Conf</th><td><code>{JSON.stringify(r.conf ?? {})}</code></td></tr>
            </tbody>
          </table>
          <NoteEditor path={path} note={r.note} onSaved={run.reload} />
          {pending ? (
            <div class="confirm" role="group" aria-label="Confirm">
              <p>{ASK[pending.action]} run {runId}?{pending.items.length > 0 && ` ${pending.items.length} task instance(s):`}</p>
              {pending.items.length > 0 && <ul class="dry-run small">{pending.items.map((t) => <li key={t}>{t}</li>)}</ul>}
              <button type="button" class="danger" onClick={() => act(pending.action, false)}>Confirm</button>
              <button type="button" onClick={() => setPending(null)}>Cancel</button>
            </div>
          ) : (
            <div class="buttons ti-actions">
              <button type="button" disabled={!allowed} onClick={() => act("clear_failed", true)}>Clear failed</button>
              <button type="button" disabled={!allowed} onClick={() => act("clear", true)}>Clear all</button>
              <button type="button" disabled={!allowed || r.state === "success"} onClick={() => act("success", true)}>Mark success</button>
              <button type="button" disabled={!allowed || r.state === "failed"} onClick={() => act("failed", true)}>Mark failed</button>
              <button type="button" disabled={!allowed} onClick={() => act("delete", true)}>Delete run</button>
            </div>
          )}
          {message && <div class="small" role="status">{message}</div>}
        </>
      )}
    </aside>
  );
}
