import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { App } from "./App";
import "./styles.css";
import { entraConfigFrom, localCookieAuth, useAuthProvider } from "./api/auth";


const queryClient = new QueryClient({ defaultOptions: { queries: { retry: 1, refetchOnWindowFocus: true } } });

// In Azure the build carries Entra ID settings and people sign in with MSAL; under `konduktor up` the cookie does.
async function start() {
  const entra = entraConfigFrom(import.meta.env as Record<string, string | undefined>);
  if (entra) {
    const { entraAuth } = await import("./api/entraAuth"); // MSAL only in the Azure build's path, not in local mode's bundle
    useAuthProvider(await entraAuth(entra, localCookieAuth.signedOut));
  }
  createRoot(document.getElementById("root")!).render(
    <StrictMode>
      <QueryClientProvider client={queryClient}>
        <App />
      </QueryClientProvider>
    </StrictMode>,
  );
}

void start();
