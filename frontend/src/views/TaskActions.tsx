// Clear and mark a task instance with Airflow's options. Every action shows its dry run (the task
// instances it would change) and waits for a confirmation, as Airflow's dialogs do.

import { useState } from "preact/hooks";
import { seg } from "../api/client";
import type { TaskInstance } from "../api/types";
import { can } from "../auth";
import { useSession } from "../context";

type Action = "clear" | "success" | "failed" | "skipped";
const OPTIONS = [["include_upstream", "Upstream"], ["include_downstream", "Downstream"], ["include_past", "Past"],
  ["include_future", "Future"]] as const;
type Options = Record<(typeof OPTIONS)[number][0] | "only_failed" | "only_running", boolean>;

interface Pending { action: Action; items: TaskInstance[]; busy: string[] }

export function TaskActions({ dagId, runId, ti, mapIndex, onDone }:
  { dagId: string; runId: string; ti: TaskInstance; mapIndex?: number; onDone: () => void }) {
  const { api, role } = useSession();
  const [options, setOptions] = useState<Options>({ include_upstream: false, include_downstream: true, include_past: false,
    include_future: false, only_failed: false, only_running: false });
  // Airflow's dialogs: clearing reaches downstream by default, marking reaches nothing until asked.
  const [touched, setTouched] = useState(false);
  const [pending, setPending] = useState<Pending | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const allowed = can(role, "operator");
  const why = allowed ? undefined : "Your role cannot change task states";
  const tiPath = `/dags/${seg(dagId)}/dagRuns/${seg(runId)}/taskInstances/${seg(ti.task_id)}`;

  const request = (action: Action, dryRun: boolean) => action === "clear"
    ? api.post<{ task_instances: TaskInstance[]; skipped_in_flight?: string[] }>(`/dags/${seg(dagId)}/clearTaskInstances`, {
      dag_run_id: runId, task_ids: [mapIndex === undefined ? ti.task_id : [ti.task_id, mapIndex]], ...options, dry_run: dryRun })
    : api.patch<{ task_instances?: TaskInstance[] } & TaskInstance>(tiPath, {
      new_state: action, dry_run: dryRun, map_index: mapIndex, include_upstream: options.include_upstream,
      include_downstream: touched && options.include_downstream, include_past: options.include_past, include_future: options.include_future });

  const run = (work: () => Promise<void>) => {
    setBusy(true);
    setMessage(null);
    work().catch((err: Error) => setMessage(err.message)).finally(() => setBusy(false));
  };
  const preview = (action: Action) => run(async () => {
    const result = await request(action, true) as { task_instances?: TaskInstance[]; skipped_in_flight?: string[] } & Partial<TaskInstance>;
    const items = result.task_instances ?? (result.task_id ? [result as TaskInstance] : []);
    setPending({ action, items, busy: result.skipped_in_flight ?? [] });
  });
  const confirm = () => run(async () => {
    const action = pending!.action;
    await request(action, false);
    setPending(null);
    setMessage(action === "clear" ? `Cleared ${pending!.items.length} task instance(s).` : `Marked ${action}.`);
    onDone();
  });
  const label = (t: TaskInstance) => {
    const name = `${t.task_id}${t.map_index !== undefined && t.map_index >= 0 ? `[${t.map_index}]` : ""}`;
    return t.dag_run_id && t.dag_run_id !== runId ? `${t.dag_run_id} · ${name}` : name;
  };

  return (
    <div class="ti-actions">
      <fieldset class="options small">
        <legend>Reach</legend>
        {OPTIONS.map(([key, text]) => (
          <label key={key}><input type="checkbox" name={key} checked={options[key]}
            onChange={(e) => {
              setTouched(true);
              setOptions({ ...options, [key]: (e.target as HTMLInputElement).checked });
            }} /> {text}</label>
        ))}
        <label><input type="checkbox" name="only_failed" checked={options.only_failed}
          onChange={(e) => setOptions({ ...options, only_failed: (e.target as HTMLInputElement).checked })} /> Only failed (clear)</label>
        <label><input type="checkbox" name="only_running" checked={options.only_running}
          onChange={(e) => setOptions({ ...options, only_running: (e.target as HTMLInputElement).checked })} /> Only running (clear)</label>
      </fieldset>
      {pending ? (
        <div class="confirm" role="group" aria-label="Confirm">
          <p>{pending.action === "clear" ? "Clear" : `Mark ${pending.action}`} {pending.items.length} task instance(s)?</p>
          <ul class="dry-run small">{pending.items.map((t) => <li key={`${t.dag_run_id}/${label(t)}`}>{label(t)}</li>)}</ul>
          {pending.busy.length > 0 && <p class="muted small">Left alone (a worker holds them): {pending.busy.join(", ")}</p>}
          <button type="button" class="danger" disabled={busy || pending.items.length === 0} onClick={confirm}>
            Confirm {pending.action === "clear" ? "clear" : `mark ${pending.action}`}</button>
          <button type="button" onClick={() => setPending(null)}>Cancel</button>
        </div>
      ) : (
        <div class="buttons">
          <button type="button" disabled={!allowed || busy} title={why} onClick={() => preview("clear")}>Clear</button>
          <button type="button" disabled={!allowed || busy || ti.state === "success"} title={why} onClick={() => preview("success")}>Mark success</button>
          <button type="button" disabled={!allowed || busy || ti.state === "failed"} title={why} onClick={() => preview("failed")}>Mark failed</button>
          <button type="button" disabled={!allowed || busy || ti.state === "skipped"} title={why} onClick={() => preview("skipped")}>Mark skipped</button>
        </div>
      )}
      {mapIndex !== undefined && (
        <p class="muted small">Clear and a plain mark reach this instance only (the tasks the options add are cleared
          whole); a mark with Upstream, Downstream, Past or Future reaches every instance of the mapped task.</p>
      )}
      {message && <div class="small" role="status">{message}</div>}
    </div>
  );
}

/** A run's or a task instance's note: shown, and editable by operators (PATCH {note}). */
export function NoteEditor({ path, note, onSaved }: { path: string; note: string | null | undefined; onSaved: () => void }) {
  const { api, role } = useSession();
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(note ?? "");
  const [error, setError] = useState<string | null>(null);
  if (!editing) {
    return (
      <div class="note small" data-testid="note">
        {note ? <span class="note-text">{note}</span> : <span class="muted">No note.</span>}{" "}
        {can(role, "operator") && <button type="button" class="link" onClick={() => { setText(note ?? ""); setEditing(true); }}>
          {note ? "Edit note" : "Add note"}</button>}
      </div>
    );
  }
  return (
    <form class="note-form" onSubmit={(e) => {
      e.preventDefault();
      api.patch(path, { note: text.trim() || null }).then(() => { setEditing(false); onSaved(); },
        (err: Error) => setError(err.message));
    }}>
      <label class="field"><span>Note</span>
        <textarea name="note" rows={3} maxLength={1000} value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
      </label>
      {error && <div class="error small" role="alert">{error}</div>}
      <button type="submit" class="primary">Save note</button> <button type="button" onClick={() => setEditing(false)}>Cancel</button>
    </form>
  );
}
