// doc_md rendered from marked's tokens straight to elements: no HTML string ever reaches the DOM, so raw
// HTML in a DAG's docs (a <script>, an onerror=) shows as text. Links keep only http(s) and mailto.

import { Lexer, type Token, type Tokens } from "marked";
import { h, type ComponentChildren } from "preact";

export function Markdown({ source }: { source: string }) {
  let tokens: Token[];
  try {
    tokens = Lexer.lex(source, { gfm: true });
  } catch {
    return <pre class="doc-md">{source}</pre>;
  }
  return <div class="doc-md">{blocks(tokens)}</div>;
}

function safeHref(href: string): string | undefined {
  return /^(https?:|mailto:|#)/i.test(href.trim()) ? href : undefined;
}

function blocks(tokens: Token[]): ComponentChildren {
  return tokens.map((token, i) => block(token, i));
}

function block(token: Token, key: number): ComponentChildren {
  switch (token.type) {
    case "heading": {
      const level = Math.min(6, (token as Tokens.Heading).depth + 2);
      return h(`h${level}`, { key }, inline((token as Tokens.Heading).tokens));
    }
    case "paragraph":
      return <p key={key}>{inline((token as Tokens.Paragraph).tokens)}</p>;
    case "text":
      return <p key={key}>{"tokens" in token && token.tokens ? inline(token.tokens) : token.text}</p>;
    case "code":
      return <pre key={key} tabIndex={0}><code>{(token as Tokens.Code).text}</code></pre>;
    case "blockquote":
      return <blockquote key={key}>{blocks((token as Tokens.Blockquote).tokens)}</blockquote>;
    case "list": {
      const list = token as Tokens.List;
      const items = list.items.map((item, i) => <li key={i}>{listItem(item)}</li>);
      return list.ordered ? <ol key={key}>{items}</ol> : <ul key={key}>{items}</ul>;
    }
    case "table": {
      const table = token as Tokens.Table;
      return (
        <table key={key} class="table">
          <thead><tr>{table.header.map((c, i) => <th key={i}>{inline(c.tokens)}</th>)}</tr></thead>
          <tbody>{table.rows.map((row, r) => <tr key={r}>{row.map((c, i) => <td key={i}>{inline(c.tokens)}</td>)}</tr>)}</tbody>
        </table>
      );
    }
    case "hr":
      return <hr key={key} />;
    case "space":
      return null;
    default: // html and anything unknown: its source, as text
      return <pre key={key} class="raw" tabIndex={0}>{token.raw}</pre>;
  }
}

function listItem(item: Tokens.ListItem): ComponentChildren {
  // Tight lists hold "text" tokens whose children are inline; render those without <p> wrappers.
  return item.tokens.map((t, i) => (t.type === "text" && "tokens" in t && t.tokens
    ? <span key={i}>{inline(t.tokens)}</span> : block(t, i)));
}

function inline(tokens: Token[] | undefined): ComponentChildren {
  return (tokens ?? []).map((token, key) => {
    switch (token.type) {
      case "strong":
        return <strong key={key}>{inline((token as Tokens.Strong).tokens)}</strong>;
      case "em":
        return <em key={key}>{inline((token as Tokens.Em).tokens)}</em>;
      case "del":
        return <del key={key}>{inline((token as Tokens.Del).tokens)}</del>;
      case "codespan":
        return <code key={key}>{(token as Tokens.Codespan).text}</code>;
      case "br":
        return <br key={key} />;
      case "link": {
        const link = token as Tokens.Link;
        return <a key={key} href={safeHref(link.href)} rel="noopener noreferrer" target="_blank">{inline(link.tokens)}</a>;
      }
      case "text":
      case "escape":
        return "tokens" in token && token.tokens ? inline(token.tokens) : decode((token as Tokens.Text).text);
      default: // inline html, images: shown as their source text
        return token.raw;
    }
  });
}

// marked escapes &, <, > and quotes in text tokens; we render text nodes, so undo that one step.
function decode(text: string): string {
  return text.replace(/&(lt|gt|quot|#39|amp);/g, (_, e: string) =>
    ({ lt: "<", gt: ">", quot: '"', "#39": "'", amp: "&" })[e] ?? _);
}
