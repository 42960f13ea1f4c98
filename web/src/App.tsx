import { useEffect, useState } from "react";
import { auth, localCookieAuth, onSignedOut } from "./api/auth";
import { href, useRoute } from "./lib/router";
import { Home } from "./pages/Home";
import { BoardPage } from "./pages/BoardPage";
import { ConfigPage } from "./pages/ConfigPage";
import { ProjectsPage } from "./pages/ProjectsPage";
import { QuestionsPage } from "./pages/QuestionsPage";
import { DocsPage } from "./pages/DocsPage";
import { AgentsPage } from "./pages/AgentsPage";
import { CommandBar } from "./components/CommandBar";
import { ShortcutHelp } from "./components/ShortcutHelp";
import { ErrorBoundary } from "./components/ErrorBoundary";
import { label, shortcuts } from "./lib/shortcuts";
import { Toasts } from "./components/Toasts";

export function App() {
  const route = useRoute();
  const [signedOut, setSignedOut] = useState<string | null>(null);
  useEffect(() => onSignedOut(setSignedOut), []);
  const workspace = route.page === "home" ? undefined : route.workspace;

  // Signed out, the page says how to get in and offers nothing else.
  if (signedOut) {
    return (
      <div className="app">
        <header className="top"><span className="brand">Konduktor</span></header>
        <main className="signed-out">
          <p role="alert">{auth === localCookieAuth
            ? <>You are not signed in to this board: run <code>konduktor open</code> on the machine it runs on for a sign-in link.</>
            : <>You are not signed in: {signedOut}</>}</p>
        </main>
      </div>
    );
  }

  return (
    <div className="app">
      <header className="top">
        <a className="brand" href={href({ page: "home" })}>Konduktor</a>
        {workspace && (
          <nav aria-label="Workspace">
            <a href={href({ page: "board", workspace })} aria-current={route.page === "board" ? "page" : undefined}>{workspace}</a>
            <a href={href({ page: "projects", workspace })} aria-current={route.page === "projects" ? "page" : undefined}>Projects</a>
            <a href={href({ page: "questions", workspace })} aria-current={route.page === "questions" ? "page" : undefined}>Questions</a>
            <a href={href({ page: "docs", workspace })} aria-current={route.page === "docs" ? "page" : undefined}>Docs</a>
            <a href={href({ page: "agents", workspace })} aria-current={route.page === "agents" ? "page" : undefined}>Agents</a>
            <a href={href({ page: "config", workspace })} aria-current={route.page === "config" ? "page" : undefined}>Config</a>
          </nav>
        )}
        <span className="hint"><kbd>{label(shortcuts.commandBar.keys)}</kbd> commands · <kbd>?</kbd> shortcuts</span>
      </header>
      <main>
        <ErrorBoundary resetKey={window.location.hash}>
          {route.page === "home" && <Home />}
          {route.page === "board" && <BoardPage workspace={route.workspace} openTask={route.task} />}
          {route.page === "config" && <ConfigPage workspace={route.workspace} />}
          {route.page === "projects" && <ProjectsPage workspace={route.workspace} project={route.project} />}
          {route.page === "questions" && <QuestionsPage workspace={route.workspace} />}
          {route.page === "docs" && <DocsPage workspace={route.workspace} doc={route.doc} />}
          {route.page === "agents" && <AgentsPage workspace={route.workspace} agent={route.agent} />}
        </ErrorBoundary>
      </main>
      <CommandBar workspace={workspace} />
      <ShortcutHelp />
      <Toasts />
    </div>
  );
}
