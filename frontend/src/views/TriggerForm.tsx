import { useMemo, useState } from "preact/hooks";
import { seg } from "../api/client";
import type { DagDetail, DagRun } from "../api/types";
import { Dialog } from "../components/Dialog";
import { useSession } from "../context";
import { buildConf, fieldsFromParams, initialValues, parseConfText, serverFieldErrors, type Field,
  type FormValues } from "../lib/params";

export function TriggerForm({ dag, onDone, onCancel }:
  { dag: DagDetail; onDone: (run: DagRun) => void; onCancel: () => void }) {
  const { api } = useSession();
  const fields = useMemo(() => fieldsFromParams(dag.params), [dag.params]);
  const [values, setValues] = useState<FormValues>(() => initialValues(fields));
  const [mode, setMode] = useState<"form" | "json">(fields.length ? "form" : "json");
  const [json, setJson] = useState("{}");
  const [runId, setRunId] = useState("");
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [serverErrors, setServerErrors] = useState<Record<string, string>>({});
  // Checked by default, as in Airflow 3's trigger form.
  const [unpause, setUnpause] = useState(true);
  const built = buildConf(fields, values);
  const fieldErrors = { ...serverErrors, ...built.errors };

  const switchTo = (next: "form" | "json") => {
    if (next === "json") setJson(JSON.stringify(built.conf, null, 2));
    setMode(next);
  };

  const submit = (e: Event) => {
    e.preventDefault();
    const parsed = mode === "json" ? parseConfText(json) : { conf: built.conf };
    if (parsed.error) return setError(parsed.error);
    if (mode === "form" && Object.keys(built.errors).length) return setError("Fix the highlighted fields first.");
    setBusy(true);
    setError(null);
    setServerErrors({});
    const trigger = () => api.post<DagRun>(`/dags/${seg(dag.dag_id)}/dagRuns`, {
      conf: parsed.conf, dag_run_id: runId.trim() || null, note: note.trim() || null,
    });
    // Airflow's "unpause on trigger": unpause first, so the run is picked up at once.
    const work = dag.is_paused && unpause
      ? api.patch(`/dags/${seg(dag.dag_id)}`, { is_paused: false }).then(trigger) : trigger();
    work.then(onDone, (err: Error) => {
      const split = serverFieldErrors(err.message, mode === "form" ? fields : []);
      setServerErrors(split.fields);
      setError(split.general ?? "The server refused these values: see the highlighted fields.");
    }).finally(() => setBusy(false));
  };

  return (
    <Dialog title={`Trigger ${dag.dag_id}`} onClose={onCancel} className="trigger-dialog">
      <form class="trigger-form" aria-label={`Trigger ${dag.dag_id}`} onSubmit={submit} noValidate>
        <div class="segmented" role="group" aria-label="Conf editor">
          <button type="button" class={mode === "form" ? "selected" : ""} aria-pressed={mode === "form"} disabled={!fields.length}
            onClick={() => switchTo("form")}>Params</button>
          <button type="button" class={mode === "json" ? "selected" : ""} aria-pressed={mode === "json"}
            onClick={() => switchTo("json")}>JSON conf</button>
        </div>
        {mode === "form" && fields.map((field) => (
          <ParamInput key={field.name} field={field} value={values[field.name]} error={fieldErrors[field.name]}
            onChange={(v) => {
              setValues({ ...values, [field.name]: v });
              setServerErrors(({ [field.name]: _, ...rest }) => rest);
            }} />
        ))}
        {mode === "json" && (
          <label class="field">
            <span>conf (JSON object)</span>
            <textarea name="conf" rows={10} spellcheck={false} value={json}
              onInput={(e) => setJson((e.target as HTMLTextAreaElement).value)} />
          </label>
        )}
        <details>
          <summary>Run id and note</summary>
          <label class="field"><span>Run id (optional)</span>
            <input name="dag_run_id" value={runId} onInput={(e) => setRunId((e.target as HTMLInputElement).value)} />
          </label>
          <label class="field"><span>Note (optional)</span>
            <input name="note" value={note} onInput={(e) => setNote((e.target as HTMLInputElement).value)} />
          </label>
        </details>
        {dag.is_paused && (
          <div class="banner warning small" data-testid="paused-notice">
            {/* As in Airflow 3: a paused DAG's triggered run is created queued and starts once it is unpaused. */}
            <p>This DAG is paused. {unpause ? "It is unpaused first, so the run starts at once."
              : "The run is created queued and starts only when the DAG is unpaused."}</p>
            <label class="check"><input type="checkbox" name="unpause" checked={unpause}
              onChange={(e) => setUnpause((e.target as HTMLInputElement).checked)} /> Unpause {dag.dag_id} on trigger</label>
          </div>
        )}
        {error && <div class="error-box" role="alert">{error}</div>}
        <div class="actions">
          <button type="button" onClick={onCancel}>Cancel</button>
          <button type="submit" class="primary" disabled={busy}>{busy ? "Triggering…" : "Trigger"}</button>
        </div>
      </form>
    </Dialog>
  );
}

function ParamInput({ field, value, error, onChange }:
  { field: Field; value: string | boolean; error?: string; onChange: (v: string | boolean) => void }) {
  const id = `param-${field.name}`;
  const text = (e: Event) => onChange((e.target as HTMLInputElement).value);
  const aria = { "aria-invalid": error ? true : undefined,
    "aria-describedby": [error && `${id}-error`, field.description && `${id}-help`].filter(Boolean).join(" ") || undefined };
  let input;
  if (field.kind === "boolean") {
    input = <input id={id} {...aria} name={field.name} type="checkbox" checked={value === true}
      onChange={(e) => onChange((e.target as HTMLInputElement).checked)} />;
  } else if (field.kind === "enum") {
    input = (
      <select id={id} {...aria} name={field.name} value={String(value)} onChange={text}>
        {field.options.map((o) => <option key={JSON.stringify(o)} value={JSON.stringify(o)}>{String(o)}</option>)}
      </select>
    );
  } else if (field.kind === "json") {
    input = <textarea id={id} {...aria} name={field.name} rows={4} spellcheck={false} value={String(value)} onInput={text} />;
  } else {
    const types: Record<string, "number" | "date" | "datetime-local" | "text"> =
      { integer: "number", number: "number", date: "date", datetime: "datetime-local" };
    const type = types[field.kind] ?? "text";
    input = <input id={id} {...aria} name={field.name} type={type as "text"} step={field.kind === "number" ? "any" : undefined}
      value={String(value)} onInput={text} />;
  }
  return (
    <div class={`field ${error ? "invalid" : ""}`} data-param={field.name}>
      <label for={id}>{field.title}{field.required && " *"}{" "}
        <span class="muted small">{field.title !== field.name ? `${field.name} · ` : ""}{field.kind}</span></label>
      {input}
      {field.description && <div class="muted small" id={`${id}-help`}>{field.description}</div>}
      {field.pattern && <div class="muted small">pattern: <code>{field.pattern}</code></div>}
      {error && <div class="error small" id={`${id}-error`} role="alert">{error}</div>}
    </div>
  );
}
