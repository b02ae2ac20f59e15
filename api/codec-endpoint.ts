import type {} from '@fastify/cookie';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { PayloadKeyError } from '../platform/codec.js';
import type { Auth, SessionUser } from './auth.js';
import { fail } from './errors.js';
import { errorSchema } from './schemas.js';
import { SESSION_COOKIE } from './session-auth.js';

/**
 * The "codec server" of the Temporal UI: the UI only ever receives ciphertext from Temporal, and a person allowed to
 * read case data decrypts it here, in the browser session of Raccordo, by setting the UI's codec endpoint to
 * `<PUBLIC_URL>/codec` with "include cross-origin credentials". Mounted outside /api/ on purpose: the /api/ hook
 * answers the browser's pre-flight requests (which carry no cookie) with 401 and refuses other origins, and the UI is
 * another origin; so the session, the origin and the role are checked here.
 *
 * The session cookie is SameSite=Strict: the browser sends it only when the UI and Raccordo are on the same site
 * (localhost:8233 and localhost:3000 are; in production serve the UI under the same domain).
 */

export const CODEC_PATHS = { decode: '/codec/decode', encode: '/codec/encode' } as const;

/** What the audit trail needs of one decode: who read, in which namespace, how much. */
export interface CodecRead {
  user: SessionUser;
  namespace: string | undefined;
  payloadCount: number;
}

export interface CodecEndpointOptions {
  codec: PayloadCodec;
  auth: Auth;
  /** Roles allowed to decode and encode (RACCORDO_CODEC_ROLES). */
  allowedRoles: readonly string[];
  /** The Temporal UI (TEMPORAL_UI_ORIGIN): the only other origin a browser may call from. */
  uiOrigin: string;
  /** Raccordo's own origin (PUBLIC_URL): same-origin calls are not cross-origin. */
  publicOrigin: string;
  /** Called once per successful decode, before anything is answered: an audit failure withholds the data. */
  onDecode?: (read: CodecRead) => Promise<void> | void;
}

// Protobuf's JSON form of a Payload: every metadata value and the data are base64.
const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'Non è base64');
const jsonPayloadSchema = z.object({ metadata: z.record(z.string(), base64).optional(), data: base64.optional() });
const codecRequestSchema = z.object({ payloads: z.array(jsonPayloadSchema).max(10_000) });
type JsonPayload = z.infer<typeof jsonPayloadSchema>;

const fromJson = ({ metadata, data }: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')])),
  data: Buffer.from(data ?? '', 'base64'),
});
const toJson = ({ metadata, data }: Payload) => ({
  metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([key, value]) => [key, Buffer.from(value ?? []).toString('base64')])),
  data: Buffer.from(data ?? []).toString('base64'),
});

export function registerCodecEndpoint(app: FastifyInstance, options: CodecEndpointOptions) {
  const { codec, auth, allowedRoles, onDecode } = options;
  const uiOrigin = new URL(options.uiOrigin).origin;
  const publicOrigin = new URL(options.publicOrigin).origin;
  const api = app.withTypeProvider<ZodTypeProvider>();

  /** CORS for the UI only; credentials, because the session cookie is the authentication. */
  function allowUiOrigin(request: FastifyRequest, reply: FastifyReply): boolean {
    reply.header('Vary', 'Origin');
    if (request.headers.origin !== uiOrigin) return false;
    reply.header('Access-Control-Allow-Origin', uiOrigin).header('Access-Control-Allow-Credentials', 'true');
    return true;
  }

  const sessionUser = (request: FastifyRequest) => auth.session(request.cookies[SESSION_COOKIE]);

  /** Before the body is even parsed: a foreign origin, no session or a role without access get nothing. */
  async function guard(request: FastifyRequest, reply: FastifyReply) {
    const fromUi = allowUiOrigin(request, reply);
    const origin = request.headers.origin;
    if (origin && !fromUi && origin !== publicOrigin && origin !== `${request.protocol}://${request.headers.host}`) {
      return fail(reply, 403, 'CrossOrigin', 'Richiesta da un’origine non ammessa');
    }
    const user = sessionUser(request);
    if (!user) return fail(reply, 401, 'Unauthenticated', 'Accesso richiesto');
    if (!allowedRoles.includes(user.role)) return fail(reply, 403, 'RoleNotAllowed', `Il ruolo ${user.role} non può decifrare i dati dei casi`);
    request.user = user;
  }

  for (const path of Object.values(CODEC_PATHS)) {
    // The browser's pre-flight: no cookie is sent, so it is answered on the origin alone.
    app.options(path, { schema: { hide: true } }, async (request, reply) => {
      if (!allowUiOrigin(request, reply)) return fail(reply, 403, 'CrossOrigin', 'Richiesta da un’origine non ammessa');
      return reply
        .header('Access-Control-Allow-Methods', 'POST')
        .header('Access-Control-Allow-Headers', 'Content-Type, X-Namespace')
        .header('Access-Control-Max-Age', '600')
        .code(204)
        .send();
    });
  }

  const routeOptions = {
    onRequest: guard,
    // The UI sends whole histories' payloads at once.
    bodyLimit: 16 * 1024 * 1024,
    schema: {
      tags: ['codec'],
      security: [{ session: [] }],
      body: codecRequestSchema,
      response: { 200: codecRequestSchema, 400: errorSchema, 401: errorSchema, 403: errorSchema, 422: errorSchema },
    },
  };

  api.post(CODEC_PATHS.decode, routeOptions, async (request, reply) => {
    let decoded: Payload[];
    try {
      decoded = await codec.decode(request.body.payloads.map(fromJson));
    } catch (error) {
      // A payload of an unknown or wrong key: the message names the key id, nothing else.
      if (error instanceof PayloadKeyError) return fail(reply, 422, 'PayloadNotDecodable', error.message);
      throw error;
    }
    // AUDIT: the single call site of the audit trail (api/audit.ts) for the Temporal UI. Every decode is a read of
    // case data, by this session's user, and is recorded before the plaintext leaves this process.
    const namespace = request.headers['x-namespace'];
    await onDecode?.({ user: request.user!, namespace: typeof namespace === 'string' ? namespace : undefined, payloadCount: decoded.length });
    return { payloads: decoded.map(toJson) };
  });

  api.post(CODEC_PATHS.encode, routeOptions, async (request) => ({
    payloads: (await codec.encode(request.body.payloads.map(fromJson))).map(toJson),
  }));
}
