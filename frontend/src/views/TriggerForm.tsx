import { useMemo, useState } from "preact/hooks";
import { seg } from "../api/client";
import type { DagDetail, DagRun } from "../api/types";
import { useSession } from "../context";
import { buildConf, fieldsFromParams, initialValues, parseConfText, type Field, type FormValues } from "../lib/params";

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
  const built = buildConf(fields, values);

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
    api.post<DagRun>(`/dags/${seg(dag.dag_id)}/dagRuns`, {
      conf: parsed.conf, dag_run_id: runId.trim() || null, note: note.trim() || null,
    }).then(onDone, (err: Error) => setError(err.message)).finally(() => setBusy(false));
  };

  return (
    <div class="dialog-backdrop">
      <form class="dialog trigger-form" aria-label={`Trigger ${dag.dag_id}`} onSubmit={submit}>
        <h2>Trigger {dag.dag_id}</h2>
        <div class="segmented" role="group">
          <button type="button" class={mode === "form" ? "selected" : ""} disabled={!fields.length}
            onClick={() => switchTo("form")}>Params</button>
          <button type="button" class={mode === "json" ? "selected" : ""} onClick={() => switchTo("json")}>JSON conf</button>
        </div>
        {mode === "form" && fields.map((field) => (
          <ParamInput key={field.name} field={field} value={values[field.name]} error={built.errors[field.name]}
            onChange={(v) => setValues({ ...values, [field.name]: v })} />
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
        {error && <div class="error-box" role="alert">{error}</div>}
        <div class="actions">
          <button type="button" onClick={onCancel}>Cancel</button>
          <button type="submit" class="primary" disabled={busy}>{busy ? "Triggering…" : "Trigger"}</button>
        </div>
      </form>
    </div>
  );
}

function ParamInput({ field, value, error, onChange }:
  { field: Field; value: string | boolean; error?: string; onChange: (v: string | boolean) => void }) {
  const id = `param-${field.name}`;
  const text = (e: Event) => onChange((e.target as HTMLInputElement).value);
  let input;
  if (field.kind === "boolean") {
    input = <input id={id} name={field.name} type="checkbox" checked={value === true}
      onChange={(e) => onChange((e.target as HTMLInputElement).checked)} />;
  } else if (field.kind === "enum") {
    input = (
      <select id={id} name={field.name} value={String(value)} onChange={text}>
        {field.options.map((o) => <option key={JSON.stringify(o)} value={JSON.stringify(o)}>{String(o)}</option>)}
      </select>
    );
  } else if (field.kind === "json") {
    input = <textarea id={id} name={field.name} rows={4} spellcheck={false} value={String(value)} onInput={text} />;
  } else {
    const types: Record<string, "number" | "date" | "datetime-local" | "text"> =
      { integer: "number", number: "number", date: "date", datetime: "datetime-local" };
    const type = types[field.kind] ?? "text";
    input = <input id={id} name={field.name} type={type as "text"} step={field.kind === "number" ? "any" : undefined}
      value={String(value)} onInput={text} />;
  }
  return (
    <div class={`field ${error ? "invalid" : ""}`}>
      <label for={id}>{field.name}{field.required && " *"} <span class="muted small">{field.kind}</span></label>
      {input}
      {field.description && <div class="muted small">{field.description}</div>}
      {error && <div class="error small">{error}</div>}
    </div>
  );
}
