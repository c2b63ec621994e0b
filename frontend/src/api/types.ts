// Response shapes of the API (Airflow's stable REST API names). Fields Levante may not send are optional.

import type { ParamSpec } from "../lib/params";

export interface Dag {
  dag_id: string;
  description: string | null;
  fileloc: string | null;
  owners: string[];
  tags: { name: string }[];
  is_paused: boolean;
  schedule_interval: string | null;
  schedule_kind?: string;
  timetable_description?: string | null;
  next_dagrun: string | null;
  last_run_id?: string | null;
  last_run_state?: string | null;
  last_run_end_date?: string | null;
  max_active_runs?: number;
  task_count?: number;
  active_runs?: Record<string, number>;
  recent_run_states?: Record<string, number>;
  latest_run_task_states?: Record<string, number>;
}

export interface DagDetail extends Dag {
  doc_md: string | null;
  params: Record<string, ParamSpec>;
  start_date: string | null;
  end_date: string | null;
  catchup: boolean;
  timezone: string | null;
  dagrun_timeout: number | null;
  max_active_tasks?: number;
  tasks?: { task_id: string; operator_name: string; task_group_id: string | null; retries: number; is_mapped?: boolean }[];
}

export interface DagCollection {
  dags: Dag[];
  total_entries: number;
}

export interface DagRun {
  dag_id: string;
  dag_run_id: string;
  run_type: string;
  state: string;
  logical_date: string;
  start_date: string | null;
  end_date: string | null;
  duration?: number | null;
  conf: Record<string, unknown> | null;
  note: string | null;
  cost_usd?: number | null;
}

export interface TaskInstance {
  dag_id: string;
  dag_run_id: string;
  task_id: string;
  state: string | null;
  try_number: number;
  max_tries: number;
  start_date: string | null;
  end_date: string | null;
  duration: number | null;
  queued_when?: string | null;
  hostname?: string | null;
  operator?: string | null;
  next_retry_at?: string | null;
  error?: string | null;
  note?: string | null;
  marked_from?: string | null;
  trigger_rule?: string | null;
  pool?: string | null;
  map_index?: number;
  cost_usd?: number;
  tries?: { try_number: number; state: string | null }[];
}

export interface LogChunk {
  content: string;
  continuation_token?: string | null;
  offset?: number;
  next_offset?: number;
  end_of_log?: boolean;
}

export interface XCom {
  key: string;
  task_id: string;
  value: unknown;
}

export interface ImportError {
  import_error_id?: number | string;
  filename: string;
  stack_trace: string;
  timestamp?: string;
}

export interface GraphNode {
  task_id: string;
  operator: string;
  task_group_id: string | null;
  ui_color?: string | null;
  is_mapped?: boolean;
}

export interface Graph {
  nodes: GraphNode[];
  edges: { source_id: string; target_id: string; label?: string | null }[];
  task_groups: { group_id: string; parent_group_id: string | null; tooltip?: string }[];
  order?: string[];
}
