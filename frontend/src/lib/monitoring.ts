// The Monitoring page's chart data: the API's per-minute series when it sends one, else samples the page
// collected while open (tasks/min and failure rate over the last hour, one sample per poll).

export interface MinutePoint { minute: string; finished: number; failed: number }
export interface Sample { at: string; tasksPerMinute: number; failureRate: number | null }

export function seriesFromMinutes(points: MinutePoint[]): Sample[] {
  return points.map((p) => ({ at: p.minute, tasksPerMinute: p.finished,
    failureRate: p.finished ? p.failed / p.finished : null }));
}

export function addSample(samples: Sample[], sample: Sample, keep = 120): Sample[] {
  const last = samples[samples.length - 1];
  if (last && last.at === sample.at) return samples;
  return [...samples, sample].slice(-keep);
}
