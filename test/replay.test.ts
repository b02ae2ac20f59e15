import { DeterminismViolationError } from '@temporalio/workflow';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { findPathway } from '../machines/registry.js';
import { createDataConverter, readKeyFile } from '../platform/codec.js';

/**
 * Histories recorded from real cases (scripts/record-histories.ts) replayed against today's code: a change that
 * would break open cases of a pinned pathway version fails here, before it is deployed.
 */
const fixtures = join(import.meta.dirname, 'fixtures', 'histories');
const histories = readdirSync(fixtures)
  .filter((file) => file.endsWith('.json'))
  .map((file) => ({ name: file.replace(/\.json$/, ''), history: JSON.parse(readFileSync(join(fixtures, file), 'utf8')) as unknown }));
// Decoded as the worker decodes: histories recorded encrypted (scripts/record-histories.ts) need their fixture key,
// those recorded before encryption pass through the codec unchanged.
const dataConverter = createDataConverter(readKeyFile(join(import.meta.dirname, 'fixtures', 'history-payload-keys.json')));

describe('recorded histories', () => {
  it('cover every registered pathway version that has them', () => {
    expect(histories.length).toBeGreaterThan(0);
    for (const { name } of histories) {
      const [kind, version] = name.split('-')[0]!.split('@');
      expect(findPathway(kind!, version!), `${name} names a pathway version that is no longer registered`).toBeDefined();
    }
  });

  it.each(histories)('$name replays deterministically', async ({ name, history }) => {
    await Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') }, dataConverter }, history, name);
  });

  it('catch a non-deterministic change to the interpreter', async () => {
    const drifted = await bundleWorkflowCode({
      workflowsPath: join(import.meta.dirname, 'support', 'drifted-workflow.ts'),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    });
    await expect(Worker.runReplayHistory({ workflowBundle: drifted, dataConverter }, histories[0]!.history, histories[0]!.name)).rejects.toThrow(
      DeterminismViolationError,
    );
  });
});
