import * as oidc from 'openid-client';
import { z } from 'zod';
import type { Config } from '../platform/config.js';
import type { ErrorStatus } from './errors.js';

/**
 * Single sign-on with an OpenID provider: the authorization code flow with PKCE, state and nonce. The provider says
 * who the person is; Raccordo's directory alone says what they may do (roles, organisation), so the provider's
 * tokens are used once, to read the username, and kept nowhere.
 */

export const OIDC_CALLBACK_PATH = '/api/session/oidc/callback';

export interface OidcSettings {
  issuer: URL;
  clientId: string;
  clientSecret: string;
  /** Where the provider sends the browser back: registered at the provider as the client's redirect URI. */
  redirectUri: string;
  /** Where the provider sends the browser after logging out there: registered at the provider too. */
  postLogoutRedirectUri: string;
  usernameClaim: string;
  scope: string;
}

/** The settings, when single sign-on is configured (the configuration schema refuses half of it). */
export function oidcSettings(config: Config): OidcSettings | undefined {
  const { RACCORDO_OIDC_ISSUER: issuer, RACCORDO_OIDC_CLIENT_ID: clientId, RACCORDO_OIDC_CLIENT_SECRET: clientSecret } = config;
  if (!issuer || !clientId || !clientSecret) return undefined;
  return {
    issuer: new URL(issuer),
    clientId,
    clientSecret,
    redirectUri: `${config.PUBLIC_URL.replace(/\/+$/, '')}${OIDC_CALLBACK_PATH}`,
    postLogoutRedirectUri: `${config.PUBLIC_URL.replace(/\/+$/, '')}/login`,
    usernameClaim: config.RACCORDO_OIDC_USERNAME_CLAIM,
    scope: config.RACCORDO_OIDC_SCOPE,
  };
}

/** What the browser keeps between leaving for the provider and coming back: the checks that tie the answer to it. */
export const pendingLoginSchema = z.object({
  state: z.string().min(1),
  nonce: z.string().min(1),
  codeVerifier: z.string().min(1),
  /** The page asked for before logging in. */
  next: z.string().optional(),
});
export type PendingLogin = z.infer<typeof pendingLoginSchema>;

/** A login that cannot go on, with the HTTP status and the Italian message the person sees. */
export class OidcLoginError extends Error {
  override name = 'OidcLoginError';
  constructor(
    readonly status: ErrorStatus,
    readonly code: string,
    message: string,
    /** For the log: why, with no token or authorization code in it. */
    readonly reason?: string,
  ) {
    super(message);
  }
}

/**
 * Error codes and messages only (with the provider's OAuth error code, e.g. `access_denied`): openid-client's errors
 * can carry the provider's whole answer, claims included.
 */
function describe(error: unknown): string {
  const {
    name,
    code,
    error: oauthError,
    message,
    cause,
  } = error as {
    name?: string;
    code?: string;
    error?: unknown;
    message?: string;
    cause?: { code?: string; message?: string };
  };
  return [name, code, typeof oauthError === 'string' ? oauthError : undefined, message, cause?.code ?? cause?.message].filter(Boolean).join(': ');
}

/** The provider could not be reached, as opposed to answering something wrong. */
const unreachable = (error: unknown) =>
  // undici's fetch rejects with this TypeError whatever the network failure; openid-client names its own timeout.
  (error instanceof TypeError && error.message === 'fetch failed') || (error as { code?: string }).code === 'OAUTH_TIMEOUT';

const providerUnavailable = (error: unknown) =>
  new OidcLoginError(503, 'IdentityProviderUnavailable', 'Il fornitore di identità non risponde: riprovare tra qualche minuto', describe(error));

/** What went wrong while reading the provider's answer: unreachable, a refusal, or an answer that fails the checks. */
function loginFailure(error: unknown): OidcLoginError {
  if (unreachable(error)) return providerUnavailable(error);
  if (error instanceof oidc.AuthorizationResponseError) {
    return new OidcLoginError(401, 'IdentityProviderRefused', 'Il fornitore di identità non ha concesso l’accesso', describe(error));
  }
  return new OidcLoginError(400, 'InvalidLoginResponse', 'Risposta di accesso non valida o scaduta: ripetere l’accesso', describe(error));
}

export function createOidcLogin(settings: OidcSettings) {
  let discovered: Promise<oidc.Configuration> | undefined;

  /** Discovered on first use and kept; a failure is not kept, so that the next login tries again. */
  function configuration(): Promise<oidc.Configuration> {
    discovered ??= oidc
      .discovery(settings.issuer, settings.clientId, undefined, oidc.ClientSecretBasic(settings.clientSecret), {
        // The configuration schema allows http only for a provider on this machine.
        execute: settings.issuer.protocol === 'http:' ? [oidc.allowInsecureRequests] : [],
        // Seconds, for discovery and every later request to the provider: a person is waiting.
        timeout: 10,
      })
      .catch((error: unknown) => {
        discovered = undefined;
        throw providerUnavailable(error);
      });
    return discovered;
  }

  return {
    /** Where to send the browser, and what it must keep until it comes back. */
    async start(next: string | undefined): Promise<{ authorizationUrl: URL; pending: PendingLogin }> {
      const config = await configuration();
      const pending: PendingLogin = { state: oidc.randomState(), nonce: oidc.randomNonce(), codeVerifier: oidc.randomPKCECodeVerifier(), next };
      const authorizationUrl = oidc.buildAuthorizationUrl(config, {
        redirect_uri: settings.redirectUri,
        scope: settings.scope,
        state: pending.state,
        nonce: pending.nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(pending.codeVerifier),
        code_challenge_method: 'S256',
      });
      return { authorizationUrl, pending };
    },

    /**
     * The username the provider vouches for, from its answer on the callback (`search`: the callback's query string).
     * openid-client checks state, PKCE, the ID token's signature, issuer, audience, expiry and nonce.
     */
    async finish(search: string, pending: PendingLogin): Promise<string> {
      const config = await configuration();
      const callbackUrl = new URL(settings.redirectUri);
      callbackUrl.search = search;
      const tokens = await oidc
        .authorizationCodeGrant(config, callbackUrl, {
          expectedState: pending.state,
          // An expected nonce makes the ID token required: claims() below always has one to read.
          expectedNonce: pending.nonce,
          pkceCodeVerifier: pending.codeVerifier,
        })
        .catch((error: unknown) => {
          throw loginFailure(error);
        });
      const idToken = tokens.claims()!;
      // Many providers release profile claims such as preferred_username only at userinfo, not in the ID token.
      const claims =
        settings.usernameClaim in idToken
          ? idToken
          : await oidc.fetchUserInfo(config, tokens.access_token, idToken.sub).catch((error: unknown) => {
              throw loginFailure(error);
            });
      const username = claims[settings.usernameClaim];
      if (typeof username !== 'string' || !username) {
        throw new OidcLoginError(
          403,
          'UsernameClaimMissing',
          'Il fornitore di identità non ha indicato il nome utente: rivolgersi all’amministratore di Raccordo',
          `no string claim ${settings.usernameClaim} in the ID token or userinfo (scope: ${settings.scope})`,
        );
      }
      return username;
    },

    /**
     * Where to send the browser so that the provider ends its own session too (RP-initiated logout): without it, the
     * next person at a shared ward computer would be let in as this one. Undefined when the provider has no end-session
     * endpoint or cannot be reached: Raccordo's own session is over either way.
     */
    async logoutUrl(): Promise<URL | undefined> {
      try {
        const config = await configuration();
        if (!config.serverMetadata().end_session_endpoint) return undefined;
        return oidc.buildEndSessionUrl(config, { post_logout_redirect_uri: settings.postLogoutRedirectUri });
      } catch {
        return undefined;
      }
    },
  };
}

export type OidcLogin = ReturnType<typeof createOidcLogin>;
