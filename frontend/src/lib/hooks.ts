// Data loading for views: loading / error / data, and polling while the caller says work is under way.

import { useCallback, useEffect, useRef, useState } from "preact/hooks";

export interface Resource<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload: () => void;
}

export interface PollOptions<T> {
  /** Poll every `intervalMs` while this returns true for the latest data. */
  pollWhile?: (data: T) => boolean;
  /** A number, or one chosen from the latest data (poll fast while work runs, slowly while idle). */
  intervalMs?: number | ((data: T) => number);
  /** Values that trigger a fresh fetch while keeping the data shown (deps instead start empty). */
  refetchOn?: unknown[];
}

export function useResource<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[],
  options: PollOptions<T> = {}): Resource<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const optionsRef = useRef(options);
  optionsRef.current = options;

  useEffect(() => {
    setData(undefined);
    setLoading(true);
  }, deps); // eslint-disable-line react-hooks/exhaustive-deps -- a new subject starts empty

  useEffect(() => {
    const controller = new AbortController();
    let timer: number | undefined;
    load(controller.signal).then((value) => {
      if (controller.signal.aborted) return;
      setData(value);
      setError(undefined);
      setLoading(false);
      const { pollWhile, intervalMs = 2000 } = optionsRef.current;
      const wait = typeof intervalMs === "function" ? intervalMs(value) : intervalMs;
      if (pollWhile?.(value)) timer = window.setTimeout(() => setTick((t) => t + 1), wait);
    }, (err: Error) => {
      if (controller.signal.aborted || err.name === "AbortError") return;
      setError(err);
      setLoading(false);
      if (optionsRef.current.pollWhile) timer = window.setTimeout(() => setTick((t) => t + 1), 5000);
    });
    return () => {
      controller.abort();
      window.clearTimeout(timer);
    };
  }, [...deps, ...(options.refetchOn ?? []), tick]); // eslint-disable-line react-hooks/exhaustive-deps

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}

/** Re-render every `ms` (for "x seconds ago" and running durations). */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = window.setInterval(() => setNow(Date.now()), ms);
    return () => window.clearInterval(id);
  }, [ms]);
  return now;
}
