// How the board proves who it is. Local mode: `konduktor up` prints a sign-in URL that trades the local token for
// an HttpOnly, SameSite=Strict cookie, so requests carry no header and scripts never see the token. Entra ID
// (MSAL) plugs in later as another provider that returns a bearer header.
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
