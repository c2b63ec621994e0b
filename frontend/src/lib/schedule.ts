// A DAG's schedule as people read it. The API describes it (`timetable_description`, cron-descriptor on the
// server, as in Airflow), so the dashboard, the CLI and API clients all show the same words.

export function scheduleText(expression: string | null | undefined, description?: string | null): string {
  if (description) return description;
  if (!expression) return "None (manual triggers only)";
  return expression === "@once" ? "Once" : expression;
}
