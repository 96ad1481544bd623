import * as oidc from 'openid-client';
import { z } from 'zod';
import type { PortalSettings } from '../domain/config';

// Sign-in at the organisation's OpenID Connect provider: the authorization code flow with PKCE,
// state and nonce. What the browser must carry between the two legs (state, nonce, verifier,
// where to go afterwards) lives in a short-lived HttpOnly cookie scoped to the callback.

export type OidcSettings = NonNullable<PortalSettings['oidc']>;

export const pendingSignInSchema = z.strictObject({
  state: z.string().min(20).max(200),
  nonce: z.string().min(20).max(200),
  verifier: z.string().min(43).max(128),
  returnTo: z.string().max(500),
});
export type PendingSignIn = z.infer<typeof pendingSignInSchema>;

/** A provider on this machine (tests, `npm run dev`) may speak plain HTTP; any other must use HTTPS. */
export const isLoopbackHttp = (url: string): boolean => {
  const { protocol, hostname } = new URL(url);
  return protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(hostname);
};

export class SignInFailed extends Error {
  override name = 'SignInFailed';
}

export function createOidcClient(settings: OidcSettings) {
  let configuration: Promise<oidc.Configuration> | undefined;
  const discover = () => {
    configuration ??= oidc
      .discovery(new URL(settings.issuer), settings.clientId, undefined, oidc.ClientSecretBasic(settings.clientSecret), {
        execute: isLoopbackHttp(settings.issuer) ? [oidc.allowInsecureRequests] : [],
        timeout: 10,
      })
      .catch((error: unknown) => {
        // Asked again at the next sign-in: the provider may be back.
        configuration = undefined;
        throw error;
      });
    return configuration;
  };

  return {
    /** Where to send the browser, and what to remember until it comes back. */
    async start(returnTo: string): Promise<{ url: URL; pending: PendingSignIn }> {
      const config = await discover();
      const pending = { state: oidc.randomState(), nonce: oidc.randomNonce(), verifier: oidc.randomPKCECodeVerifier(), returnTo };
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: settings.redirectUrl,
        scope: 'openid email profile',
        code_challenge: await oidc.calculatePKCECodeChallenge(pending.verifier),
        code_challenge_method: 'S256',
        state: pending.state,
        nonce: pending.nonce,
      });
      return { url, pending };
    },

    /** Exchanges the code for tokens (checking state, nonce and PKCE) and answers the person's claims. */
    async finish(search: string, pending: PendingSignIn): Promise<Record<string, unknown>> {
      const config = await discover();
      const callback = new URL(settings.redirectUrl);
      callback.search = search;
      let tokens;
      try {
        tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: pending.verifier, expectedState: pending.state, expectedNonce: pending.nonce, idTokenExpected: true });
      } catch (error) {
        if (error instanceof oidc.AuthorizationResponseError || error instanceof oidc.ResponseBodyError || error instanceof oidc.ClientError) throw new SignInFailed(error.message);
        throw error;
      }
      const claims = tokens.claims();
      if (!claims) throw new SignInFailed('the provider sent no ID token');
      // Claims the ID token leaves out (groups, employee_id at many providers) come from userinfo.
      const userinfo = config.serverMetadata().userinfo_endpoint ? await oidc.fetchUserInfo(config, tokens.access_token, claims.sub) : {};
      return { ...userinfo, ...claims };
    },
  };
}

export type OidcClient = ReturnType<typeof createOidcClient>;
