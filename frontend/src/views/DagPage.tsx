import { useState } from "preact/hooks";
import { seg } from "../api/client";
import type { DagDetail } from "../api/types";
import { can } from "../auth";
import { ErrorBox, Loading, StateBadge } from "../components/common";
import { Markdown } from "../components/Markdown";
import { useSession } from "../context";
import { formatDateZ } from "../lib/format";
import { useResource } from "../lib/hooks";
import { href, navigate } from "../lib/route";
import { scheduleText } from "../lib/schedule";
import { CodeTab } from "./CodeTab";
import { SchedulePreview } from "./CostViews";
import { PauseToggle } from "./DagList";
import { DetailsTab } from "./DetailsTab";
import { GraphTab } from "./GraphTab";
import { GridTab } from "./GridTab";
import { RunPanel } from "./RunPanel";
import { RunsTab } from "./RunsTab";
import { TaskPanel } from "./TaskPanel";
import { CalendarTab, DurationsTab, GanttTab } from "./TimelineTabs";
import { TriggerForm } from "./TriggerForm";
import { VersionsTab } from "./VersionsTab";

const TABS = [["grid", "Grid"], ["graph", "Graph"], ["gantt", "Gantt"], ["durations", "Durations"], ["calendar", "Calendar"],
  ["code", "Code"], ["versions", "Versions"], ["runs", "Runs"], ["details", "Details"]];
type Query = Record<string, string>;

export function DagPage({ dagId, query }: { dagId: string; query: Query }) {
  const { api, role } = useSession();
  const [triggering, setTriggering] = useState(false);
  const [changes, setChanges] = useState(0); // bumped by task actions: the tabs reload
  const dag = useResource((signal) => api.get<DagDetail>(`/dags/${seg(dagId)}`, {}, signal), [api, dagId],
    { pollWhile: () => true, intervalMs: 10_000, refetchOn: [changes] });
  const tab = query.tab || "grid";
  const go = (changes: Query) => navigate(["dags", dagId], { ...query, ...changes });

  if (dag.error && !dag.data) return <ErrorBox error={dag.error} retry={dag.reload} />;
  if (!dag.data) return <Loading what={`Loading ${dagId}`} />;
  const d = dag.data;
  const canOperate = can(role, "operator");

  return (
    <section class="dag-page">
      <div class="dag-header">
        <div>
          <a href="#/" class="small">← DAGs</a>
          <h1>
            <PauseToggle dag={d} onChanged={dag.reload} />
            <span class="dag-title">{d.dag_id}</span>
            <HeaderRunState dag={d} />
          </h1>
          {d.description && <p class="description">{d.description}</p>}
          <div class="meta small">
            <span>Schedule: <code>{d.schedule_interval ?? "None"}</code> — {scheduleText(d.schedule_interval, d.timetable_description)}</span>
            <span>Next run: {formatDateZ(d.next_dagrun)}</span>
            <span>Owner: {d.owners.join(", ") || "—"}</span>
            <span>{d.tags.map((t) => <a key={t.name} class="tag" href={href([], { tags: t.name })}>{t.name}</a>)}</span>
          </div>
        </div>
        <button type="button" class="primary" disabled={!canOperate} data-testid="trigger"
          title={canOperate ? "Trigger a run" : "Your role cannot trigger runs"} onClick={() => setTriggering(true)}>
          ▶ Trigger
        </button>
      </div>
      <PausedQueuedRuns dag={d} />
      {d.is_paused && d.schedule_interval && <SchedulePreview dagId={dagId} compact />}
      {d.doc_md && (
        <details class="doc" open>
          <summary>Documentation</summary>
          <Markdown source={d.doc_md} />
        </details>
      )}
      <nav class="tabs" role="tablist">
        {TABS.map(([id, label]) => (
          <a key={id} role="tab" aria-selected={tab === id} class={tab === id ? "active" : ""}
            href={href(["dags", dagId], { ...query, tab: id })}>{label}</a>
        ))}
      </nav>
      <div class={`tab-body ${query.task || (query.run && query.panel === "run") ? "with-panel" : ""}`}>
        <div class="tab-main">
          {tab === "grid" && <GridTab dagId={dagId} selected={query} onSelect={go} refresh={changes} />}
          {tab === "graph" && <GraphTab dagId={dagId} runId={query.run} onSelect={go} refresh={changes} />}
          {tab === "gantt" && <GanttTab dagId={dagId} runId={query.run} refresh={changes} onSelect={go} />}
          {tab === "durations" && <DurationsTab dagId={dagId} refresh={changes} />}
          {tab === "calendar" && <CalendarTab dagId={dagId} refresh={changes} />}
          {tab === "code" && <CodeTab dagId={dagId} />}
          {tab === "versions" && <VersionsTab dagId={dagId} version={Number(query.version) || undefined}
            onPick={(n) => go({ version: String(n) })} />}
          {tab === "runs" && <RunsTab dagId={dagId} onSelect={go} />}
          {tab === "details" && <DetailsTab dag={d} />}
        </div>
        {!query.task && query.run && query.panel === "run" && (
          <RunPanel dagId={dagId} runId={query.run} onClose={() => go({ panel: "" })}
            onChanged={() => { setChanges((n) => n + 1); }} />
        )}
        {query.task && query.run && (
          <TaskPanel dagId={dagId} runId={query.run} taskId={query.task} tryNumber={Number(query.try) || undefined}
            mapped={d.tasks?.some((t) => t.task_id === query.task && t.is_mapped)}
            mapIndex={query.map ? Number(query.map) : undefined}
            onMapIndex={(n) => go({ map: n === undefined ? "" : String(n), try: "" })}
            onClose={() => go({ task: "", try: "", map: "" })} onTry={(n) => go({ try: String(n) })}
            onChanged={() => setChanges((n) => n + 1)} />
        )}
      </div>
      {triggering && (
        <TriggerForm dag={d} onCancel={() => setTriggering(false)} onDone={(run) => {
          setTriggering(false);
          dag.reload();
          navigate(["dags", dagId], { tab: "grid", run: run.dag_run_id });
        }} />
      )}
    </section>
  );
}

/** Runs triggered while the DAG is paused wait `queued` (as in Airflow 3): say why they do not start. */
function PausedQueuedRuns({ dag }: { dag: DagDetail }) {
  const queued = dag.recent_run_states?.queued ?? 0;
  if (!dag.is_paused || !queued) return null;
  return (
    <div class="banner warning small" role="status" data-testid="paused-queued">
      {queued === 1 ? "1 run is" : `${queued} runs are`} queued and will start when the DAG is unpaused.
    </div>
  );
}

/** A run in progress first (as Airflow's header does), else the last finished run's state. */
function HeaderRunState({ dag }: { dag: DagDetail }) {
  const recent = dag.recent_run_states ?? {};
  const state = recent.running ? "running" : recent.queued ? "queued" : dag.last_run_state;
  return state ? <span data-testid="dag-run-state"><StateBadge state={state} /></span> : null;
}
