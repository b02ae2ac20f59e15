import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type ApiStack } from './support/api.js';

/** The OpenAPI document describes what every route answers, not only what it takes. */
let api: ApiStack;
beforeAll(async () => {
  api = await startApi('openapi');
});
afterAll(() => api?.stop());

interface Operation {
  responses?: Record<string, { content?: Record<string, { schema?: object }>; description?: string }>;
}

describe('the OpenAPI document', () => {
  it('declares a response schema for the success of every route, and the API’s error shape for its refusals', async () => {
    const document = (await api.app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, Operation>> };
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
    );
    expect(operations.map(({ method, path }) => `${method.toUpperCase()} ${path}`)).toEqual(
      expect.arrayContaining(['GET /api/cases/{ref}', 'POST /api/cases/{ref}/events', 'GET /api/tasks', 'GET /api/pathways', 'POST /api/hospital/discharges']),
    );
    const undescribed = operations.filter(({ operation }) => {
      const success = Object.entries(operation.responses ?? {}).filter(([status]) => /^[23]/.test(status));
      // A redirect or an empty answer has no body to describe; anything else names its schema.
      return !success.length || success.some(([status, response]) => !/^(204|30\d)$/.test(status) && !response.content?.['application/json']?.schema);
    });
    expect(undescribed.map(({ method, path }) => `${method.toUpperCase()} ${path}`)).toEqual([]);
    const refusalsWithoutShape = operations.flatMap(({ method, path, operation }) =>
      Object.entries(operation.responses ?? {})
        .filter(([status]) => /^[45]/.test(status))
        .filter(([, response]) => !(response.content?.['application/json']?.schema as { properties?: object } | undefined)?.properties)
        .map(([status]) => `${method.toUpperCase()} ${path} ${status}`),
    );
    expect(refusalsWithoutShape).toEqual([]);
  });
});
