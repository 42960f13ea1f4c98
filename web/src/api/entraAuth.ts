// Entra ID sign-in for the board in Azure (MSAL in the browser): the API gets a bearer token for its scope.
// Local mode (`konduktor up`) keeps its HttpOnly cookie; the build decides which by its VITE_ENTRA_* settings.
import { InteractionRequiredAuthError, PublicClientApplication } from "@azure/msal-browser";
import type { AuthProvider, EntraConfig } from "./auth";

export async function entraAuth(config: EntraConfig, signedOut: (reason: string) => void): Promise<AuthProvider> {
  const msal = new PublicClientApplication({
    auth: { clientId: config.clientId, authority: `https://login.microsoftonline.com/${config.tenantId}`, redirectUri: window.location.origin },
    cache: { cacheLocation: "sessionStorage" },
  });
  await msal.initialize();
  const redirected = await msal.handleRedirectPromise();
  if (redirected?.account) msal.setActiveAccount(redirected.account);
  const request = { scopes: [config.apiScope] };
  return {
    headers: async (): Promise<Record<string, string>> => {
      const account = msal.getActiveAccount() ?? msal.getAllAccounts()[0];
      if (!account) {
        await msal.loginRedirect(request);
        return {};
      }
      try {
        const result = await msal.acquireTokenSilent({ ...request, account });
        return { Authorization: `Bearer ${result.accessToken}` };
      } catch (e) {
        if (e instanceof InteractionRequiredAuthError) await msal.acquireTokenRedirect(request);
        throw e;
      }
    },
    signedOut,
  };
}
