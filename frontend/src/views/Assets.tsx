// Assets (Airflow 3's Assets view): every asset with the tasks that produce it, the DAGs scheduled on it
// and its latest event; picking one lists its events (which run recorded them, with their extra).

import { Empty, ErrorBox, Loading } from "../components/common";
import { useSession } from "../context";
import { formatDateZ } from "../lib/format";
import { useResource } from "../lib/hooks";
import { href, navigate } from "../lib/route";

interface Asset {
  uri: string; name: string; group: string;
  producing_tasks: { dag_id: string; task_id: string }[];
  consuming_dags: { dag_id: string }[];
  last_asset_event: { id: string; timestamp: string } | null;
}

interface AssetEvent {
  id: string; uri: string; name: string; extra: Record<string, unknown>; source_dag_id: string | null;
  source_task_id: string | null; source_run_id: string | null; source_map_index: number; timestamp: string;
}

export function Assets({ query }: { query: Record<string, string> }) {
  const { api } = useSession();
  const assets = useResource((signal) => api.get<{ assets: Asset[] }>("/assets", {}, signal), [api],
    { pollWhile: () => true, intervalMs: 10_000 });
  const list = assets.data?.assets;
  return (
    <section class="assets">
      <h1>Assets</h1>
      {assets.error && <ErrorBox error={assets.error} retry={assets.reload} />}
      {!list && !assets.error && <Loading what="Loading assets" />}
      {list && list.length === 0 && <Empty>No assets yet: a task's <code>outlets</code> or a DAG scheduled on an asset adds one.</Empty>}
      {list && list.length > 0 && (
        <div class="table-wrap">
          <table class="table assets-table">
            <thead><tr><th>Asset</th><th>Group</th><th>Produced by</th><th>Schedules</th><th>Latest event</th></tr></thead>
            <tbody>
              {list.map((a) => (
                <tr key={a.uri} data-uri={a.uri} class={query.uri === a.uri ? "selected" : ""}>
                  <td>
                    <button type="button" class="link" onClick={() => navigate(["assets"], { uri: a.uri })}>{a.name}</button>
                    {a.name !== a.uri && <div class="muted small">{a.uri}</div>}
                  </td>
                  <td>{a.group}</td>
                  <td>{a.producing_tasks.map((p) => (
                    <div key={`${p.dag_id}.${p.task_id}`}><a href={href(["dags", p.dag_id])}>{p.dag_id}</a>.{p.task_id}</div>
                  ))}{a.producing_tasks.length === 0 && "—"}</td>
                  <td>{a.consuming_dags.map((d) => <div key={d.dag_id}><a href={href(["dags", d.dag_id])}>{d.dag_id}</a></div>)}
                    {a.consuming_dags.length === 0 && "—"}</td>
                  <td class="small">{a.last_asset_event ? formatDateZ(a.last_asset_event.timestamp) : "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {query.uri && <AssetEvents uri={query.uri} />}
    </section>
  );
}

function AssetEvents({ uri }: { uri: string }) {
  const { api } = useSession();
  const events = useResource((signal) => api.get<{ asset_events: AssetEvent[] }>("/assets/events", { uri, limit: 100 }, signal),
    [api, uri], { pollWhile: () => true, intervalMs: 10_000 });
  const rows = events.data?.asset_events;
  return (
    <section aria-label={`Events of ${uri}`}>
      <h2>Events of <code>{uri}</code></h2>
      {events.error && <ErrorBox error={events.error} retry={events.reload} />}
      {!rows && !events.error && <Loading what="Loading events" />}
      {rows && rows.length === 0 && <Empty>No events recorded for this asset.</Empty>}
      {rows && rows.length > 0 && (
        <div class="table-wrap">
          <table class="table small asset-events">
            <thead><tr><th>When</th><th>Source</th><th>Extra</th></tr></thead>
            <tbody>
              {rows.map((e) => (
                <tr key={e.id} data-event={e.id}>
                  <td>{formatDateZ(e.timestamp)}</td>
                  <td>{e.source_dag_id && e.source_run_id ? (
                    <a href={href(["dags", e.source_dag_id], { tab: "grid", run: e.source_run_id, task: e.source_task_id ?? "" })}>
                      {e.source_dag_id}.{e.source_task_id}{e.source_map_index >= 0 ? `[${e.source_map_index}]` : ""} · {e.source_run_id}
                    </a>) : "—"}</td>
                  <td><code>{JSON.stringify(e.extra)}</code></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

