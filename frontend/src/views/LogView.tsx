import { useEffect, useRef, useState } from "preact/hooks";
import type { Api } from "../api/client";
import { ApiError } from "../api/client";

interface LogResponse { content: string; offset: number; end_of_log: boolean; available?: boolean }

/** One try's log, read from a byte offset and followed (polled from the new offset) until it ends. */
export function LogView({ api, path }: { api: Api; path: string }) {
  const [text, setText] = useState("");
  const [status, setStatus] = useState<"loading" | "following" | "done" | "missing">("loading");
  const [error, setError] = useState<string | null>(null);
  const box = useRef<HTMLPreElement>(null);

  useEffect(() => {
    let offset = 0;
    let timer: number | undefined;
    const controller = new AbortController();
    setText("");
    setStatus("loading");
    setError(null);
    const next = () => {
      api.get<LogResponse>(path, { offset }, controller.signal).then((chunk) => {
        if (chunk.content) setText((t) => t + chunk.content);
        offset = chunk.offset;
        if (chunk.end_of_log) {
          setStatus(chunk.available === false && offset === 0 ? "missing" : "done");
        } else {
          setStatus("following");
          timer = window.setTimeout(next, 1500);
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
  }, [api, path]);

  useEffect(() => {
    const el = box.current;
    if (el && status === "following" && el.scrollHeight - el.scrollTop - el.clientHeight < 80) el.scrollTop = el.scrollHeight;
  }, [text, status]);

  return (
    <div class="log">
      <div class="muted small" data-testid="log-status">
        {status === "following" ? "● following the running task…" : status === "missing" ? "No log stored for this try." : status === "loading" ? "Loading log…" : "End of log."}
      </div>
      {error && <div class="error small" role="alert">{error}</div>}
      <pre ref={box} class="log-text" data-testid="log-text">{text}</pre>
    </div>
  );
}
