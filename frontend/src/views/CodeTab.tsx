import hljs from "highlight.js/lib/core";
import python from "highlight.js/lib/languages/python";
import { useMemo } from "preact/hooks";
import { seg } from "../api/client";
import { ErrorBox, Loading } from "../components/common";
import { useSession } from "../context";
import { useResource } from "../lib/hooks";
import { highlightedLines } from "../lib/highlight";

hljs.registerLanguage("python", python);

/** The DAG file as it is now, or as it was in one stored version. */
export function CodeTab({ dagId, version }: { dagId: string; version?: number }) {
  const { api } = useSession();
  const path = version ? `/dags/${seg(dagId)}/versions/${version}/source` : `/dags/${seg(dagId)}/source`;
  const source = useResource((signal) =>
    api.get<{ content: string; fileloc: string }>(path, {}, signal), [api, path]);
  const lines = useMemo(() => source.data ? highlightedLines(hljs, source.data.content) : [], [source.data]);
  if (source.error) return <ErrorBox error={source.error} retry={source.reload} />;
  if (!source.data) return <Loading what="Loading the DAG file" />;
  return (
    <div class="code-view">
      <div class="muted small">{source.data.fileloc}</div>
      <pre class="code hljs" tabIndex={0} aria-label={version ? `DAG source, version ${version}` : "DAG source"}><code>
        {lines.map((spans, i) => (
          <div key={i} class="line"><span class="ln">{i + 1}</span>
            {spans.map(([cls, text], j) => (cls ? <span key={j} class={cls}>{text}</span> : text))}
          </div>
        ))}
      </code></pre>
    </div>
  );
}
