import { useEffect, useState } from "react";

// Hash routes, so the same static files work under `konduktor up` and on Static Web Apps without rewrites.
export type Route =
  | { page: "home" }
  | { page: "board"; workspace: string; task?: string }
  | { page: "config"; workspace: string }
  | { page: "projects"; workspace: string; project?: string }
  | { page: "questions"; workspace: string }
  | { page: "docs"; workspace: string; doc?: string }
  | { page: "agents"; workspace: string; agent?: string };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "w" && parts[1]) {
    if (parts[2] === "config") return { page: "config", workspace: parts[1] };
    if (parts[2] === "projects") return parts[3] ? { page: "projects", workspace: parts[1], project: parts[3] } : { page: "projects", workspace: parts[1] };
    if (parts[2] === "t" && parts[3]) return { page: "board", workspace: parts[1], task: parts[3] };
    if (parts[2] === "questions") return { page: "questions", workspace: parts[1] };
    if (parts[2] === "docs") return parts[3] ? { page: "docs", workspace: parts[1], doc: parts[3] } : { page: "docs", workspace: parts[1] };
    if (parts[2] === "agents") return parts[3] ? { page: "agents", workspace: parts[1], agent: parts[3] } : { page: "agents", workspace: parts[1] };
    return { page: "board", workspace: parts[1] };
  }
  return { page: "home" };
}

export function href(route: Route): string {
  switch (route.page) {
    case "home": return "#/";
    case "config": return `#/w/${encodeURIComponent(route.workspace)}/config`;
    case "projects": return `#/w/${encodeURIComponent(route.workspace)}/projects${route.project ? `/${route.project}` : ""}`;
    case "board": return `#/w/${encodeURIComponent(route.workspace)}${route.task ? `/t/${route.task}` : ""}`;
    case "questions": return `#/w/${encodeURIComponent(route.workspace)}/questions`;
    case "docs": return `#/w/${encodeURIComponent(route.workspace)}/docs${route.doc ? `/${encodeURIComponent(route.doc)}` : ""}`;
    case "agents": return `#/w/${encodeURIComponent(route.workspace)}/agents${route.agent ? `/${encodeURIComponent(route.agent)}` : ""}`;
  }
}

export function navigate(route: Route) {
  window.location.hash = href(route);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener("hashchange", changed);
    return () => window.removeEventListener("hashchange", changed);
  }, []);
  return route;
}
