// Which view a hash route shows.

import type { Route } from "../lib/route";
import { Admin } from "./Admin";
import { Assets } from "./Assets";
import { DagList } from "./DagList";
import { DagPage } from "./DagPage";
import { DeadLetters } from "./DeadLetters";
import { Monitoring } from "./Monitoring";

export function page(route: Route) {
  const [first, second] = route.path;
  if (first === "dags" && second) return <DagPage dagId={second} query={route.query} />;
  if (first === "monitoring") return <Monitoring />;
  if (first === "assets") return <Assets query={route.query} />;
  if (first === "dead-letters") return <DeadLetters />;
  if (first === "admin") return <Admin section={second ?? "variables"} />;
  return <DagList query={route.query} />;
}
