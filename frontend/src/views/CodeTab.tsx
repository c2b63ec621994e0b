import hljs from "highlight.js/lib/core";
import python from "highlight.js/lib/languages/python";
import { useMemo } from "preact/hooks";
import { seg } from "../api/client";
import { ErrorBox, Loading } from "../components/common";
import { useSession } from "../context";
import { useResource } from "../lib/hooks";
import { highlightedLines } from "../lib/highlight";

hljs.registerLanguage("python", python);

export function CodeTab({ dagId }: { dagId: string }) {
  const { api } = useSession();
  const source = useResource((signal) =>
    api.get<{ content: string; fileloc: string }>(`/dags/${seg(dagId)}/source`, {}, signal), [api, dagId]);
  const lines = useMemo(() => source.data ? highlightedLines(hljs, source.data.content) : [], [source.data]);
  if (source.error) return <ErrorBox error={source.error} retry={source.reload} />;
  if (!source.data) return <Loading what="Loading the DAG file" />;
  return (
    <div class="code-view">
      <div class="muted small">{source.data.fileloc}</div>
      <pre class="code hljs" tabIndex={0} aria-label="DAG source"><code>
        {lines.map((spans, i) => (
          <div key={i} class="line"><span class="ln">{i + 1}</span>
            {spans.map(([cls, text], j) => (cls ? <span key={j} class={cls}>{text}</span> : text))}
          </div>
        ))}
      </code></pre>
    </div>
  );
}
