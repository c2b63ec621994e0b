// highlight.js returns an HTML string; instead of assigning it to innerHTML we parse it in an inert
// document (DOMParser runs no scripts, loads nothing) and keep only (class, text) pieces per line, which
// the view renders as text nodes. The code itself never becomes markup.

interface Highlighter {
  highlight(code: string, options: { language: string; ignoreIllegals?: boolean }): { value: string };
}

export type Piece = [string | null, string];

export function highlightedLines(hljs: Highlighter, code: string, language = "python"): Piece[][] {
  let html: string;
  try {
    html = hljs.highlight(code, { language, ignoreIllegals: true }).value;
  } catch {
    return code.split("\n").map((line) => [[null, line]]);
  }
  const doc = new DOMParser().parseFromString(`<pre>${html}</pre>`, "text/html");
  const lines: Piece[][] = [[]];
  walk(doc.body.firstChild!, [], lines);
  return lines;
}

function walk(node: Node, classes: string[], lines: Piece[][]): void {
  for (const child of Array.from(node.childNodes)) {
    if (child.nodeType === Node.TEXT_NODE) {
      const parts = (child.textContent ?? "").split("\n");
      parts.forEach((text, i) => {
        if (i > 0) lines.push([]);
        if (text) lines[lines.length - 1].push([classes.length ? classes.join(" ") : null, text]);
      });
    } else if (child.nodeType === Node.ELEMENT_NODE) {
      const cls = (child as Element).getAttribute("class");
      walk(child, cls ? [...classes, cls] : classes, lines);
    }
  }
}
