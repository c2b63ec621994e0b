import { useEffect, useState } from "preact/hooks";
import { seg } from "../api/client";
import type { Dag, DagCollection } from "../api/types";
import { can } from "../auth";
import { Empty, ErrorBox, Loading, StateBadge, StateCounts, Toggle } from "../components/common";
import { useSession } from "../context";
import { formatDate, zoneLabel } from "../lib/format";
import { useResource } from "../lib/hooks";
import { href, navigate } from "../lib/route";
import { scheduleText } from "../lib/schedule";
import { ImportErrorsBanner } from "./ImportErrors";

interface DagStats {
  dags: { dag_id: string; stats: { state: string; count: number }[] }[];
}

function statsByDag(stats: DagStats | undefined): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const d of stats?.dags ?? []) out[d.dag_id] = Object.fromEntries(d.stats.map((s) => [s.state, s.count]));
  return out;
}

const PAGE_SIZES = [25, 50, 100];
type Query = Record<string, string>;

export function DagList({ query }: { query: Query }) {
  const { api } = useSession();
  const limit = Number(query.limit) || PAGE_SIZES[0];
  const page = Math.max(1, Number(query.page) || 1);
  const tags = query.tags ? query.tags.split(",") : [];
  const order = query.sort || "dag_id";
  const set = (changes: Query) => navigate([], { ...query, page: "", ...changes });

  const dags = useResource<DagCollection>((signal) => api.get("/dags", {
    limit, offset: (page - 1) * limit, tags: tags.join(","), paused: query.paused, search: query.search, order_by: order,
  }, signal).then((d) => { performance.mark("dag-list-data"); return d as DagCollection; }), [api, limit, page, query.tags, query.paused, query.search, order], {
    // Always poll: runs started by the scheduler, the CLI or the API appear without a reload.
    pollWhile: () => true, intervalMs: (d) => (d.dags.some(hasActiveRun) ? 3000 : 10_000),
  });

  const ids = dags.data?.dags.map((d) => d.dag_id).join(",") ?? "";
  // Refetched with every list poll, so "Recent runs" never keeps a finished run as running.
  const stats = useResource((signal) => ids ? api.get<DagStats>("/dagStats", { dag_ids: ids }, signal)
    : Promise.resolve({ dags: [] }), [api, ids], { refetchOn: [dags.data] });
  const runStates = statsByDag(stats.data);

  useEffect(() => {
    if (dags.data) performance.mark("dag-list-rendered");
  }, [dags.data]);

  return (
    <section class="dag-list">
      {/* Asked for once the list is shown: on the local stack every API call shares one emulator, and the
          list is what the person navigated for. */}
      {dags.data && <ImportErrorsBanner />}
      <div class="toolbar">
        <h1>DAGs</h1>
        <SearchBox value={query.search ?? ""} onSearch={(search) => set({ search })} />
        <div class="segmented" role="group" aria-label="Filter by state">
          {[["", "All"], ["false", "Active"], ["true", "Paused"]].map(([value, label]) => (
            <button type="button" key={label} class={(query.paused ?? "") === value ? "selected" : ""}
              onClick={() => set({ paused: value })}>{label}</button>
          ))}
        </div>
        {tags.length > 0 && (
          <span class="filter-tags">
            {tags.map((t) => (
              <button type="button" class="tag removable" key={t} title="Remove this tag filter"
                onClick={() => set({ tags: tags.filter((x) => x !== t).join(",") })}>{t} ×</button>
            ))}
          </span>
        )}
      </div>
      {dags.error && <ErrorBox error={dags.error} retry={dags.reload} />}
      {dags.loading && !dags.data && <Loading what="Loading DAGs" />}
      {dags.data && dags.data.dags.length === 0 && <Empty>No DAGs match. Clear the filters or add DAG files.</Empty>}
      {dags.data && dags.data.dags.length > 0 && (
        <DagTable dags={dags.data.dags} runStates={runStates} order={order} tags={tags} onSort={(sort) => set({ sort })}
          onTag={(t) => set({ tags: [...new Set([...tags, t])].join(",") })} onChanged={dags.reload} />
      )}
      {dags.data && (
        <Pager total={dags.data.total_entries} page={page} limit={limit}
          onPage={(p) => navigate([], { ...query, page: String(p) })}
          onLimit={(l) => set({ limit: String(l) })} />
      )}
    </section>
  );
}

function SearchBox({ value, onSearch }: { value: string; onSearch: (v: string) => void }) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  useEffect(() => {
    if (text === value) return;
    const id = window.setTimeout(() => onSearch(text), 300);
    return () => window.clearTimeout(id);
  }, [text]); // eslint-disable-line react-hooks/exhaustive-deps
  return (
    <input type="search" class="search" placeholder="Search DAGs" aria-label="Search DAGs" value={text}
      onInput={(e) => setText((e.target as HTMLInputElement).value)} />
  );
}

const DATED = new Set(["last_run", "next_dagrun"]);
const COLUMNS: [string, string | null][] = [
  ["", null], ["DAG", "dag_id"], ["Owner", "owner"], ["Schedule", null], ["Last run", "last_run"],
  ["Next run", "next_dagrun"], ["Last run's tasks", null], ["Recent runs", null], ["Tags", null], ["File", null],
];

function DagTable({ dags, runStates, order, tags, onSort, onTag, onChanged }: {
  dags: Dag[]; runStates: Record<string, Record<string, number>>; order: string; tags: string[]; onSort: (s: string) => void; onTag: (t: string) => void;
  onChanged: () => void;
}) {
  return (
    <div class="table-wrap">
    <table class="table dags">
      <thead>
        <tr>
          {COLUMNS.map(([label, key]) => (
            <th key={label || "pause"}>
              {key ? (
                <button type="button" class="sort" onClick={() => onSort(order === key ? `-${key}` : key)}>
                  {label}{DATED.has(key) ? ` (${zoneLabel()})` : ""} {order === key ? "▲" : order === `-${key}` ? "▼" : ""}
                </button>
              ) : label || <span class="visually-hidden">Active</span>}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {dags.map((dag) => <DagRow key={dag.dag_id} dag={dag} runStates={runStates[dag.dag_id]} tags={tags} onTag={onTag} onChanged={onChanged} />)}
      </tbody>
    </table>
    </div>
  );
}

function hasActiveRun(dag: Dag): boolean {
  return Object.values(dag.active_runs ?? {}).some(Boolean);
}

/** The run in progress when there is one (what Airflow's "Last run" shows), else the last finished run. */
function LastRun({ dag }: { dag: Dag }) {
  const active = Object.entries(dag.active_runs ?? {}).filter(([, n]) => n > 0);
  if (active.length) {
    const state = active.some(([s]) => s === "running") ? "running" : active[0][0];
    const count = active.reduce((sum, [, n]) => sum + n, 0);
    return (
      <span data-testid="last-run" data-state={state}>
        <StateBadge state={state} />
        <div class="muted small">{count > 1 ? `${count} runs in progress` : "in progress"}</div>
      </span>
    );
  }
  if (!dag.last_run_state) return <span class="muted" data-testid="last-run" data-state="none">—</span>;
  return (
    <span data-testid="last-run" data-state={dag.last_run_state}>
      <StateBadge state={dag.last_run_state} />
      <div class="muted small">{formatDate(dag.last_run_end_date)}</div>
    </span>
  );
}

function DagRow({ dag, runStates, tags, onTag, onChanged }:
  { dag: Dag; runStates?: Record<string, number>; tags: string[]; onTag: (t: string) => void; onChanged: () => void }) {
  return (
    <tr data-dag-id={dag.dag_id}>
      <td><PauseToggle dag={dag} onChanged={onChanged} /></td>
      <td class="dag-id">
        <a href={href(["dags", dag.dag_id])}>{dag.dag_id}</a>
        {dag.description && <div class="muted small description">{dag.description}</div>}
      </td>
      <td>{dag.owners.join(", ") || "—"}</td>
      <td>
        <code>{dag.schedule_interval ?? "None"}</code>
        <div class="muted small">{scheduleText(dag.schedule_interval, dag.timetable_description)}</div>
      </td>
      <td><LastRun dag={dag} /></td>
      <td class="small">{formatDate(dag.next_dagrun)}</td>
      <td>
        <StateCounts counts={dag.latest_run_task_states} title="Task states of the latest finished run" />
      </td>
      <td>
        <span data-testid="recent-runs"><StateCounts counts={runStates} title="Runs by state (latest 25 runs)" /></span>
      </td>
      <td>
        {dag.tags.map((t) => (
          <button type="button" key={t.name} class={`tag ${tags.includes(t.name) ? "selected" : ""}`}
            onClick={() => onTag(t.name)}>{t.name}</button>
        ))}
      </td>
      <td class="small file" title={dag.fileloc ?? ""}>{dag.fileloc ?? "—"}</td>
    </tr>
  );
}

export function PauseToggle({ dag, onChanged }: { dag: Pick<Dag, "dag_id" | "is_paused">; onChanged: () => void }) {
  const { api, role } = useSession();
  const [paused, setPaused] = useState(dag.is_paused);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setPaused(dag.is_paused), [dag.is_paused]);
  const allowed = can(role, "operator");
  return (
    <span class="pause">
      <Toggle on={!paused} disabled={busy || !allowed}
        label={!allowed ? "Your role cannot pause DAGs" : paused ? `Unpause ${dag.dag_id}` : `Pause ${dag.dag_id}`}
        onChange={(on) => {
          setBusy(true);
          setError(null);
          api.patch<Dag>(`/dags/${seg(dag.dag_id)}`, { is_paused: !on }).then(
            (updated) => { setPaused(updated?.is_paused ?? !on); onChanged(); },
            (err: Error) => setError(err.message),
          ).finally(() => setBusy(false));
        }} />
      {error && <span class="error small" role="alert">{error}</span>}
    </span>
  );
}

function Pager({ total, page, limit, onPage, onLimit }:
  { total: number; page: number; limit: number; onPage: (p: number) => void; onLimit: (l: number) => void }) {
  const pages = Math.max(1, Math.ceil(total / limit));
  return (
    <div class="pager">
      <button type="button" disabled={page <= 1} onClick={() => onPage(page - 1)}>‹ Previous</button>
      <span>Page {page} of {pages} · {total} DAGs</span>
      <button type="button" disabled={page >= pages} onClick={() => onPage(page + 1)}>Next ›</button>
      <select aria-label="Page size" value={limit} onChange={(e) => onLimit(Number((e.target as HTMLSelectElement).value))}>
        {PAGE_SIZES.map((n) => <option key={n} value={n}>{n} per page</option>)}
      </select>
    </div>
  );
}
