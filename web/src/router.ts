import { useEffect, useState } from "react";

// Hash routes, so the same static files work under `konduktor up` and on Static Web Apps without rewrites.
export type Route =
  | { page: "home" }
  | { page: "board"; workspace: string; task?: string }
  | { page: "config"; workspace: string }
  | { page: "projects"; workspace: string; project?: string };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "w" && parts[1]) {
    if (parts[2] === "config") return { page: "config", workspace: parts[1] };
    if (parts[2] === "projects") return parts[3] ? { page: "projects", workspace: parts[1], project: parts[3] } : { page: "projects", workspace: parts[1] };
    if (parts[2] === "t" && parts[3]) return { page: "board", workspace: parts[1], task: parts[3] };
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
