import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type ApiStack } from './support/api.js';
import { eventually, settled } from './support/harness.js';

/**
 * Bad input at scale: whatever a client sends, the answer is a 4xx (or a 2xx for a harmless read), never a 5xx,
 * and no case is created or changed by a request that was refused.
 */
let api: ApiStack;
let cookie: string;
let caseRef: string;
beforeAll(async () => {
  api = await startApi('api-property');
  cookie = await api.login('social-worker');
  const created = await api.app.inject({ method: 'POST', url: '/api/cases', headers: { cookie }, payload: { kind: 'hello', data: { summary: 'Bersaglio' } } });
  caseRef = created.json().caseRef;
});
afterAll(() => api?.stop());

async function casesOnQueue(): Promise<number> {
  let count = 0;
  for await (const execution of api.stack.client.workflow.list({ query: "PathwayKind = 'hello'" })) {
    if (execution.taskQueue === api.stack.taskQueue) count++;
  }
  return count;
}
const historyLength = async () => (await api.stack.client.workflow.getHandle(caseRef).fetchHistory()).events?.length ?? 0;

const json = fc.jsonValue({ maxDepth: 3 });
const text = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('', ' ', '../', "'", '%00', 'RAC-2026-', 'signoff.submit', 'case.withdraw'));
const eventTypes = fc.oneof(text, fc.constantFrom('signoff.submit', 'signoff.claim', 'case.withdraw', 'xstate.init', 'round.remind', 'deadline.expire'));

/** Words of zod's and Fastify's English messages. */
const englishWords = /\b(invalid|expected|received|required|must|should|too (small|big)|unexpected|unrecognized|body)\b/i;

async function expectNoServerError(request: InjectOptions) {
  const response = await api.app.inject(request);
  expect(response.statusCode, `${JSON.stringify(request)} → ${response.body}`).toBeLessThan(500);
  if (response.statusCode >= 400) {
    const body = response.json() as { code: string; message: string; issues?: { path: string; message: string }[] };
    expect(body).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    // What a person reads is Italian: nothing of the validation library's English.
    for (const message of [body.message, ...(body.issues ?? []).map((issue) => issue.message)]) {
      expect(message, `${JSON.stringify(request)} → ${response.body}`).not.toMatch(englishWords);
    }
  }
  return response;
}

// 2,100 requests: about 15 s alone, several times that while the fault tests load both cores.
describe('every JSON route under random input', { timeout: 300_000 }, () => {
  it('answers without a server error, and creates or changes nothing it refused', async () => {
    const history = await settled(api.stack.client, caseRef);
    const before = { cases: await eventually(async () => (await casesOnQueue()) === 1 && 1, 20_000, 'the target case in visibility'), history };

    await fc.assert(
      fc.asyncProperty(fc.oneof(json, fc.record({ username: json, password: json })), async (body) => {
        await expectNoServerError({ method: 'POST', url: '/api/session', payload: body as object });
      }),
      { numRuns: 300 },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(json, fc.record({ kind: fc.oneof(text, fc.constant('hello')), data: json })), async (body) => {
        const response = await expectNoServerError({ method: 'POST', url: '/api/cases', headers: { cookie }, payload: body as object });
        expect(response.statusCode).toBeGreaterThanOrEqual(400);
      }),
      { numRuns: 600 },
    );
    await fc.assert(
      fc.asyncProperty(fc.record({ type: eventTypes, payload: json }, { requiredKeys: [] }), async (body) => {
        const response = await expectNoServerError({ method: 'POST', url: `/api/cases/${caseRef}/events`, headers: { cookie }, payload: body });
        expect(response.statusCode).toBeGreaterThanOrEqual(400);
      }),
      { numRuns: 600 },
    );
    await fc.assert(
      fc.asyncProperty(text, eventTypes, async (ref, type) => {
        await expectNoServerError({ method: 'GET', url: `/api/cases/${encodeURIComponent(ref)}`, headers: { cookie } });
        await expectNoServerError({ method: 'POST', url: `/api/cases/${encodeURIComponent(ref)}/events`, headers: { cookie }, payload: { type, payload: {} } });
      }),
      { numRuns: 300 },
    );
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.constantFrom('kind', 'state', 'pendingRole', 'overdue', 'other'), text), async (query) => {
        await expectNoServerError({ method: 'GET', url: '/api/cases', headers: { cookie }, query });
      }),
      { numRuns: 300 },
    );

    expect(await casesOnQueue()).toBe(before.cases);
    expect(await historyLength()).toBe(before.history);
  });
});
