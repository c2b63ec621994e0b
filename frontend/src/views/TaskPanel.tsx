import { seg } from "../api/client";
import type { TaskInstance, XCom } from "../api/types";
import { ErrorBox, Loading, StateBadge } from "../components/common";
import { useSession } from "../context";
import { elapsed, formatDateRelative, formatDateZ, formatDuration, formatUsd } from "../lib/format";
import { useNow, useResource } from "../lib/hooks";
import { isTaskActive, stateColor } from "../lib/states";
import { LogView } from "./LogView";
import { MappedInstances } from "./MappedInstances";
import { NoteEditor, TaskActions } from "./TaskActions";

// The error belongs to the failed try: once the task is marked or re-run it is history, not the state.
const SHOWS_ERROR = new Set(["failed", "up_for_retry", "upstream_failed"]);

interface Props {
  dagId: string;
  runId: string;
  taskId: string;
  tryNumber?: number;
  /** A mapped task: without `mapIndex` the panel lists its instances; with it, shows that instance. */
  mapped?: boolean;
  mapIndex?: number;
  onMapIndex?: (mapIndex: number | undefined) => void;
  onClose: () => void;
  onTry: (n: number) => void;
  onChanged: () => void;
}

export function TaskPanel(props: Props) {
  const { dagId, runId, taskId, mapped, mapIndex, onMapIndex, onClose } = props;
  if (!mapped || mapIndex !== undefined) return <TaskInstancePanel {...props} />;
  const base = `/dags/${seg(dagId)}/dagRuns/${seg(runId)}/taskInstances/${seg(taskId)}`;
  return (
    <aside class="task-panel" aria-label={`Task ${taskId}`}>
      <div class="panel-head">
        <h2 title={taskId}>{taskId} <span class="muted small">mapped</span></h2>
        <button type="button" class="link" aria-label="Close" onClick={onClose}>✕</button>
      </div>
      <div class="muted small">run <code>{runId}</code></div>
      <MappedInstances base={base} onOpen={(n) => onMapIndex?.(n)} />
    </aside>
  );
}

function TaskInstancePanel({ dagId, runId, taskId, tryNumber, mapped, mapIndex, onMapIndex, onClose, onTry,
  onChanged }: Props) {
  const { api } = useSession();
  const base = `/dags/${seg(dagId)}/dagRuns/${seg(runId)}/taskInstances/${seg(taskId)}`;
  const which: Record<string, number> = mapped && mapIndex !== undefined ? { map_index: mapIndex } : {};
  const ti = useResource((signal) => api.get<TaskInstance>(base, which, signal), [api, base, mapIndex],
    { pollWhile: (t) => isTaskActive(t.state), intervalMs: 1500 });
  const xcoms = useResource((signal) => api.get<{ xcom_entries: XCom[] }>(`${base}/xcomEntries`, which, signal),
    [api, base, mapIndex, ti.data?.state]);
  const now = useNow(1000);

  const t = ti.data;
  const shownTry = tryNumber ?? t?.try_number ?? 0;
  return (
    <aside class="task-panel" aria-label={`Task ${taskId}`}>
      <div class="panel-head">
        <h2 title={taskId}>{taskId}{mapped && <span data-testid="map-index"> [{mapIndex}]</span>}</h2>
        <button type="button" class="link" aria-label="Close" onClick={onClose}>✕</button>
      </div>
      <div class="muted small">run <code>{runId}</code>
        {mapped && <> · <button type="button" class="link" onClick={() => onMapIndex?.(undefined)}>all mapped instances</button></>}
      </div>
      {ti.error && !t && <ErrorBox error={ti.error} retry={ti.reload} />}
      {!t && !ti.error && <Loading what="Loading the task instance" />}
      {t && (
        <>
          <table class="table kv small">
            <tbody>
              <tr><th>State</th><td data-testid="ti-state"><StateBadge state={t.state} />
                {t.marked_from && <span class="state-note"> marked by a user (the try ended {t.marked_from.replace(/_/g, " ")})</span>}</td></tr>
              {(t.state === "up_for_retry" || t.state === "up_for_reschedule") && (
                <tr><th>Next attempt</th><td data-testid="next-attempt">{formatDateRelative(t.next_retry_at)}</td></tr>
              )}
              <tr><th>Try</th><td>{t.try_number} of {t.max_tries + 1}</td></tr>
              <tr><th>Cost (estimated)</th><td data-testid="ti-cost">{formatUsd(t.cost_usd)}</td></tr>
              <tr><th>Duration</th><td>{formatDuration(t.duration ?? elapsed(t.start_date, t.end_date, now))}</td></tr>
              <tr><th>Queued at</th><td>{formatDateZ(t.queued_when)}</td></tr>
              <tr><th>Started</th><td>{formatDateZ(t.start_date)}</td></tr>
              <tr><th>Ended</th><td>{formatDateZ(t.end_date)}</td></tr>
              <tr><th>Operator</th><td>{t.operator ?? "—"}</td></tr>
              <tr><th>Trigger rule</th><td>{t.trigger_rule ?? "—"}</td></tr>
              <tr><th>Pool</th><td>{t.pool ?? "default_pool"}</td></tr>
              <tr><th>Map index</th><td>{t.map_index ?? -1}</td></tr>
              <tr><th>Host</th><td>{t.hostname ?? "—"}</td></tr>
            </tbody>
          </table>
          {t.error && SHOWS_ERROR.has(t.state ?? "") && <pre class="ti-error" data-testid="ti-error" tabIndex={0}>{t.error}</pre>}
          <NoteEditor path={base} note={t.note} onSaved={ti.reload} />
          <TaskActions dagId={dagId} runId={runId} ti={t} mapIndex={mapped ? mapIndex : undefined} onDone={() => { ti.reload(); onChanged(); }} />
          <h3>XComs</h3>
          <XComList xcoms={xcoms.data?.xcom_entries} error={xcoms.error} />
          <h3>Rendered templates{t.try_number > 0 && ` (try ${shownTry})`}</h3>
          {t.try_number === 0 ? <p class="muted small">Rendered when the task runs.</p>
            : <RenderedFields path={`${base}/renderedFields/${shownTry}`} params={which} key={`${base}/${mapIndex}/${shownTry}`} />}
          <h3>Log</h3>
          {t.try_number === 0 ? <p class="muted small">This task has not run yet.</p> : (
            <>
              <div class="tries" role="tablist">
                {Array.from({ length: t.try_number }, (_, i) => i + 1).map((n) => {
                  const state = t.tries?.find((x) => x.try_number === n)?.state ?? null;
                  return (
                    <button key={n} type="button" role="tab" aria-selected={n === shownTry} data-try={n} data-state={state ?? "none"}
                      class={n === shownTry ? "selected" : ""} onClick={() => onTry(n)}>
                      <i style={{ background: stateColor(state) }} />try {n}
                    </button>
                  );
                })}
              </div>
              <LogView api={api} path={`${base}/logs/${shownTry}`} params={which} key={`${base}/${mapIndex}/${shownTry}`}
                name={`${dagId}-${runId}-${taskId}${mapped ? `-${mapIndex}` : ""}-try${shownTry}`} />
            </>
          )}
        </>
      )}
    </aside>
  );
}

/** A try's template fields as the worker rendered them (secrets masked), one row per field. */
function RenderedFields({ path, params }: { path: string; params: Record<string, number> }) {
  const { api } = useSession();
  const fields = useResource((signal) => api.get<{ rendered_fields: Record<string, unknown> | null }>(path, params, signal),
    [api, path]);
  if (fields.error) return <div class="error small">{fields.error.message}</div>;
  if (!fields.data) return <Loading what="Loading the rendered fields" />;
  const rendered = fields.data.rendered_fields;
  if (!rendered) return <p class="muted small">Not stored for this try (it ended before its templates were rendered).</p>;
  const names = Object.keys(rendered);
  if (names.length === 0) return <p class="muted small">This operator has no template fields.</p>;
  return (
    <table class="table small rendered-fields" data-testid="rendered-fields">
      <tbody>
        {names.map((name) => (
          <tr key={name}><th>{name}</th><td><pre class="json" tabIndex={0}>
            {typeof rendered[name] === "string" ? rendered[name] as string : JSON.stringify(rendered[name], null, 2)}</pre></td></tr>
        ))}
      </tbody>
    </table>
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
          <tr key={x.key}><th>{x.key}</th><td><pre class="json" tabIndex={0}>{JSON.stringify(x.value, null, 2)}</pre></td></tr>
        ))}
      </tbody>
    </table>
  );
}
