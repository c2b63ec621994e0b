import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { Api } from "../api/client";
import { ApiError } from "../api/client";
import { filterLog, LEVELS, type Level } from "../lib/logfilter";

interface LogResponse { content: string; offset: number; end_of_log: boolean; available?: boolean }

// The view holds at most this much text: a 200 MB log is paged ("Load more"), a running one keeps its tail.
export const WINDOW_CHARS = 1_000_000;

/** One try's log, read from a byte offset and followed (polled from the new offset) until it ends. */
export function LogView({ api, path, params = {}, name }:
  { api: Api; path: string; params?: Record<string, number>; name: string }) {
  const [text, setText] = useState("");
  const [status, setStatus] = useState<"loading" | "following" | "done" | "missing" | "more">("loading");
  const [error, setError] = useState<string | null>(null);
  const [wrap, setWrap] = useState(true);
  const [level, setLevel] = useState<Level>("all");
  const [search, setSearch] = useState("");
  const [more, setMore] = useState(0); // bumped by "Load more"
  const [dropped, setDropped] = useState(0); // characters dropped from the head while following
  const box = useRef<HTMLPreElement>(null);
  const offsetRef = useRef(0);

  useEffect(() => {
    offsetRef.current = 0;
    setText("");
    setDropped(0);
  }, [api, path]);

  useEffect(() => {
    let timer: number | undefined;
    let loaded = 0;
    const controller = new AbortController();
    setStatus("loading");
    setError(null);
    const next = () => {
      api.get<LogResponse>(path, { ...params, offset: offsetRef.current }, controller.signal).then((chunk) => {
        if (controller.signal.aborted) return;
        offsetRef.current = chunk.offset;
        loaded += chunk.content.length;
        if (chunk.content) {
          setText((t) => {
            const joined = t + chunk.content;
            if (chunk.end_of_log || joined.length <= WINDOW_CHARS) return joined;
            setDropped((d) => d + joined.length - WINDOW_CHARS); // following: keep the tail only
            return joined.slice(joined.length - WINDOW_CHARS);
          });
        }
        if (chunk.end_of_log) {
          setStatus(chunk.available === false && offsetRef.current === 0 ? "missing" : "done");
        } else if (chunk.content && loaded >= WINDOW_CHARS) {
          setStatus("more"); // a finished big log: wait for "Load more" rather than reading it all
        } else {
          setStatus("following");
          timer = window.setTimeout(next, chunk.content ? 250 : 1500);
        }
      }, (err: Error) => {
        if (err.name === "AbortError") return;
        setError(err instanceof ApiError ? err.message : String(err));
        timer = window.setTimeout(next, 5000);
      });
    };
    next();
    return () => {
      controller.abort();
      window.clearTimeout(timer);
    };
  }, [api, path, more]);

  useEffect(() => {
    const el = box.current;
    if (el && status === "following" && el.scrollHeight - el.scrollTop - el.clientHeight < 80) el.scrollTop = el.scrollHeight;
  }, [text, status]);

  const shown = useMemo(() => filterLog(text, level, search), [text, level, search]);
  const download = () => {
    const blob = new Blob([text], { type: "text/plain" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = `${name}.log`;
    link.click();
    URL.revokeObjectURL(link.href);
  };

  return (
    <div class="log">
      <div class="log-tools small">
        <label>Level <select aria-label="Log level" value={level} onChange={(e) => setLevel((e.target as HTMLSelectElement).value as Level)}>
          {LEVELS.map((l) => <option key={l} value={l}>{l === "all" ? "all lines" : `${l} and above`}</option>)}
        </select></label>
        <input type="search" aria-label="Search the log" placeholder="search" value={search}
          onInput={(e) => setSearch((e.target as HTMLInputElement).value)} />
        <label><input type="checkbox" checked={wrap} onChange={(e) => setWrap((e.target as HTMLInputElement).checked)} /> wrap</label>
        <button type="button" onClick={download} disabled={!text}>Download</button>
        {(level !== "all" || search) && <span class="muted" data-testid="log-matches">{shown.count} matching line(s)</span>}
      </div>
      <div class="muted small" data-testid="log-status" aria-live="polite">
        {status === "following" ? "● following the running task…" : status === "missing" ? "No log stored for this try."
          : status === "loading" ? "Loading log…" : status === "more" ? "" : "End of log."}
        {dropped > 0 && ` (earlier ${Math.round(dropped / 1024)} KB not shown)`}
      </div>
      {error && <div class="error small" role="alert">{error}</div>}
      <pre ref={box} class={`log-text ${wrap ? "" : "nowrap"}`} data-testid="log-text" tabIndex={0} role="log" aria-label="Task log">
        {shown.parts.map((p, i) => (p.match ? <mark key={i}>{p.text}</mark> : p.text))}
      </pre>
      {status === "more" && (
        <button type="button" onClick={() => setMore((n) => n + 1)}>Load more (the log is longer than {WINDOW_CHARS / 1e6} MB)</button>
      )}
    </div>
  );
}
