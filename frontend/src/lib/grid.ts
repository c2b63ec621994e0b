// Runs × tasks matrix for the Grid tab: rows are tasks in topological order with their task groups as
// collapsible header rows; a group's square shows the most urgent state among its tasks (Airflow's rule).

export interface GridCell {
  state: string | null;
  try_number: number;
  duration: number | null;
  start_date?: string | null;
  end_date?: string | null;
  next_retry_at?: string | null; // up_for_retry / up_for_reschedule: when the next attempt is due
  queued_when?: string | null;
  /** A mapped task: how many instances it expanded to and their states (the cell shows the most urgent). */
  mapped?: { count: number; states: Record<string, number> };
}

export interface GridRun {
  dag_run_id: string;
  state: string;
  logical_date: string;
  start_date?: string | null;
  end_date?: string | null;
  duration?: number | null;
  cells: Record<string, GridCell>;
}

export interface GridTask {
  task_id: string;
  task_group_id: string | null;
}

export interface GridGroup {
  group_id: string;
  parent_group_id: string | null;
}

export interface GridRow {
  kind: "task" | "group";
  id: string; // task_id or group_id
  label: string;
  depth: number;
  groups: string[]; // enclosing groups, outermost first
  cells: (GridCell | null)[]; // one per column (run), oldest run first
}

export interface GridModel {
  runs: GridRun[]; // columns, oldest first
  rows: GridRow[];
}

// Airflow's grid priority for summarising a group: the first state found in this list wins.
const GROUP_PRIORITY: (string | null)[] = [
  "failed", "upstream_failed", "up_for_retry", "up_for_reschedule", "queued", "scheduled", "deferred",
  "running", "restarting", null, "success", "skipped", "removed",
];

export function summariseStates(states: (string | null)[]): string | null {
  if (states.length === 0) return null;
  let best = GROUP_PRIORITY.length;
  for (const state of states) {
    const rank = GROUP_PRIORITY.indexOf(state ?? null);
    best = Math.min(best, rank === -1 ? GROUP_PRIORITY.indexOf(null) : rank);
  }
  return GROUP_PRIORITY[best] ?? null;
}

function ancestry(groupId: string | null, parents: Map<string, string | null>): string[] {
  const chain: string[] = [];
  const seen = new Set<string>();
  for (let g = groupId; g && !seen.has(g); g = parents.get(g) ?? null) {
    seen.add(g);
    chain.unshift(g);
  }
  return chain;
}

function shortLabel(id: string, parent: string | undefined): string {
  return parent && id.startsWith(`${parent}.`) ? id.slice(parent.length + 1) : id;
}

/**
 * Rows as a tree walked depth first: a group's header row, then every task and subgroup inside it, before
 * anything outside it. Within a group, children keep the order of their first task in `tasks` (topological),
 * so a task of a nested group never lands after a sibling group just because it sorts later.
 */
export function buildGrid(runsNewestFirst: GridRun[], tasks: GridTask[], groups: GridGroup[]): GridModel {
  const runs = [...runsNewestFirst].reverse();
  const parents = new Map(groups.map((g) => [g.group_id, g.parent_group_id]));
  const members = new Map<string, string[]>(); // group -> every task id inside it, nested included
  const children = new Map<string | null, { kind: "task" | "group"; id: string }[]>();
  const placed = new Set<string>();
  const addChild = (parent: string | null, kind: "task" | "group", id: string) => {
    const key = `${kind}:${id}`;
    if (placed.has(key)) return;
    placed.add(key);
    children.set(parent, [...(children.get(parent) ?? []), { kind, id }]);
  };

  for (const task of tasks) {
    const chain = ancestry(task.task_group_id, parents);
    chain.forEach((group, depth) => {
      members.set(group, [...(members.get(group) ?? []), task.task_id]);
      addChild(depth === 0 ? null : chain[depth - 1], "group", group);
    });
    addChild(chain[chain.length - 1] ?? null, "task", task.task_id);
  }

  const rows: GridRow[] = [];
  const walk = (parent: string | null, chain: string[]) => {
    for (const child of children.get(parent) ?? []) {
      const label = shortLabel(child.id, parent ?? undefined);
      if (child.kind === "task") {
        rows.push({ kind: "task", id: child.id, label, depth: chain.length, groups: chain,
          cells: runs.map((run) => run.cells[child.id] ?? null) });
      } else {
        rows.push({ kind: "group", id: child.id, label, depth: chain.length, groups: chain,
          cells: runs.map((run) => groupCell(run, members.get(child.id) ?? [])) });
        walk(child.id, [...chain, child.id]);
      }
    }
  };
  walk(null, []);
  return { runs, rows };
}

function groupCell(run: GridRun, taskIds: string[]): GridCell {
  const cells = taskIds.map((id) => run.cells[id]).filter((c): c is GridCell => !!c);
  const durations = cells.map((c) => c.duration ?? 0);
  return { state: summariseStates(taskIds.map((id) => run.cells[id]?.state ?? null)), try_number: 0,
    duration: durations.length ? durations.reduce((a, b) => a + b, 0) : null };
}

/** The rows to show when the groups in `collapsed` are folded. */
export function visibleRows(rows: GridRow[], collapsed: Set<string>): GridRow[] {
  return rows.filter((row) => !row.groups.some((g) => collapsed.has(g)));
}

export function hasActiveRuns(runs: { state: string }[]): boolean {
  return runs.some((r) => r.state === "queued" || r.state === "running");
}
