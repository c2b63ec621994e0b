import { render } from "preact";
import { describe, expect, it } from "vitest";
import { Markdown } from "./Markdown";

function renderMd(source: string): HTMLElement {
  const root = document.createElement("div");
  render(<Markdown source={source} />, root);
  return root;
}

describe("Markdown", () => {
  it("renders markdown structure", () => {
    const root = renderMd("# Title\n\nSome **bold** and `code`.\n\n- one\n- two\n\n[ok](https://example.com)");
    expect(root.querySelector("h3")!.textContent).toBe("Title");
    expect(root.querySelector("strong")!.textContent).toBe("bold");
    expect(root.querySelectorAll("li")).toHaveLength(2);
    expect(root.querySelector("a")!.getAttribute("href")).toBe("https://example.com");
  });

  it("shows raw HTML as text and never creates script or handler elements", () => {
    const root = renderMd('<script>window.pwned = 1</script>\n\nHi <img src=x onerror="window.pwned=2"> there');
    expect(root.querySelector("script")).toBeNull();
    expect(root.querySelector("img")).toBeNull();
    expect(root.textContent).toContain("<script>window.pwned = 1</script>");
    expect(root.textContent).toContain('<img src=x onerror="window.pwned=2">');
  });

  it("drops javascript: links", () => {
    const root = renderMd("[click](javascript:alert(1))");
    expect(root.querySelector("a")!.hasAttribute("href")).toBe(false);
  });

  it("keeps escaped characters readable", () => {
    expect(renderMd("a < b & c > d").textContent).toBe("a < b & c > d");
  });
});
