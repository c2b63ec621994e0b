import { defineConfig } from "vite";
import preact from "@preact/preset-vite";

// The build must run under the dashboard's CSP (script-src 'self'): no inline scripts, no eval.
export default defineConfig({
  plugins: [preact({ devToolsEnabled: false, prefreshEnabled: false })],
  build: {
    target: "es2022",
    modulePreload: { polyfill: false },
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
});
