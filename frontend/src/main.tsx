import { render } from "preact";
import { App } from "./App";
import { loadConfig } from "./config";
import "./styles.css";

const root = document.getElementById("app")!;
loadConfig().then(
  (config) => render(<App config={config} />, root),
  (err: Error) => {
    root.textContent = `The dashboard cannot start: ${err.message}`;
  },
);
