// Dead letters (beyond Airflow): task messages a worker failed on too many times, with the task's last
// error; an operator redrives them (one or all) to the task queue or discards them.

import { useState } from "preact/hooks";
import { can } from "../auth";
import { Empty, ErrorBox, Loading, StateBadge } from "../components/common";
import { useSession } from "../context";
import { formatDateZ } from "../lib/format";
import { useResource } from "../lib/hooks";
import { href } from "../lib/route";

interface DeadLetter {
  message_id: string; receives: number; sent_at_ms: number; dag_id: string | null; dag_run_id: string | null;
  task_id: string | null; try_number: number | null; state: string | null; last_error: string | null; body: string | null;
}

export function DeadLetters() {
  const { api, role } = useSession();
  const list = useResource((signal) => api.get<{ dead_letters: DeadLetter[] }>("/deadLetters", {}, signal), [api],
    { pollWhile: () => true, intervalMs: 10_000 });
  const [message, setMessage] = useState<string | null>(null);
  const allowed = can(role, "operator");
  const act = (action: "redrive" | "discard", ids: string[] | null) => {
    if (action === "discard" && !window.confirm(`Delete ${ids ? ids.length : "every"} dead letter(s)? They cannot be recovered.`)) return;
    setMessage(null);
    api.post<{ total_entries: number }>(`/deadLetters/${action}`, { message_ids: ids }).then((r) => {
      setMessage(`${action === "redrive" ? "Redriven" : "Discarded"}: ${r.total_entries} message(s).`);
      list.reload();
    }, (err: Error) => setMessage(err.message));
  };

  const letters = list.data?.dead_letters;
  return (
    <section class="dead-letters">
      <h1>Dead letters</h1>
      <p class="muted small">Task messages the worker failed on repeatedly (moved to the dead-letter queue by SQS). Redrive
        sends one back to the task queue; the task then runs if its state still allows it.</p>
      {list.error && <ErrorBox error={list.error} retry={list.reload} />}
      {!letters && !list.error && <Loading what="Reading the dead-letter queue" />}
      {letters && letters.length === 0 && <Empty>The dead-letter queue is empty.</Empty>}
      {letters && letters.length > 0 && (
        <>
          <div class="buttons">
            <button type="button" disabled={!allowed} onClick={() => act("redrive", null)}>Redrive all ({letters.length})</button>
            <button type="button" class="danger" disabled={!allowed} onClick={() => act("discard", null)}>Discard all</button>
          </div>
          <div class="table-wrap"><table class="table">
            <thead><tr><th>Task</th><th>Receives</th><th>Sent</th><th>State</th><th>Last error</th><th><span class="visually-hidden">Actions</span></th></tr></thead>
            <tbody>
              {letters.map((d) => (
                <tr key={d.message_id} data-message={d.message_id}>
                  <td>{d.dag_id ? (
                    <a href={href(["dags", d.dag_id], { tab: "grid", run: d.dag_run_id, task: d.task_id })}>
                      {d.dag_id} / {d.dag_run_id} / {d.task_id} (try {d.try_number})</a>
                  ) : <code>{d.body}</code>}</td>
                  <td>{d.receives}</td>
                  <td class="small">{formatDateZ(d.sent_at_ms ? new Date(d.sent_at_ms).toISOString() : null)}</td>
                  <td>{d.state ? <StateBadge state={d.state} /> : "—"}</td>
                  <td><pre class="ti-error small" tabIndex={0}>{d.last_error ?? "—"}</pre></td>
                  <td class="buttons">
                    <button type="button" disabled={!allowed} onClick={() => act("redrive", [d.message_id])}>Redrive</button>
                    <button type="button" disabled={!allowed} onClick={() => act("discard", [d.message_id])}>Discard</button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table></div>
        </>
      )}
      {message && <p role="status">{message}</p>}
    </section>
  );
}
