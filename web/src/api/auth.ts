// How the board proves who it is. Local mode: `konduktor up` prints a sign-in URL that trades the local token for
// an HttpOnly, SameSite=Strict cookie, so requests carry no header and scripts never see the token. In Azure the
// build carries Entra ID settings and entraAuth.ts (MSAL) is the provider: it returns a bearer header.
export interface AuthProvider {
  headers(): Promise<Record<string, string>>;
  signedOut(reason: string): void;
}

type Listener = (reason: string) => void;
const listeners = new Set<Listener>();

export const localCookieAuth: AuthProvider = {
  headers: async () => ({}),
  signedOut: (reason) => listeners.forEach((l) => l(reason)),
};

export let auth: AuthProvider = localCookieAuth;

export function useAuthProvider(provider: AuthProvider) {
  auth = provider;
}

export function onSignedOut(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export interface EntraConfig { clientId: string; tenantId: string; apiScope: string }

/** The sign-in settings azd writes into the build (VITE_ENTRA_CLIENT_ID, VITE_ENTRA_TENANT_ID, VITE_API_SCOPE), if any. */
export function entraConfigFrom(env: Record<string, string | undefined>): EntraConfig | undefined {
  const clientId = env.VITE_ENTRA_CLIENT_ID?.trim();
  const tenantId = env.VITE_ENTRA_TENANT_ID?.trim();
  if (!clientId || !tenantId) return undefined;
  return { clientId, tenantId, apiScope: env.VITE_API_SCOPE?.trim() || `api://${clientId}/user_impersonation` };
}
