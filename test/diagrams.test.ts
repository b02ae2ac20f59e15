import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { and, not, setup } from 'xstate';
import { z } from 'zod';
import { leafPaths } from '../machines/case-state.js';
import { mermaidDiagram, pathwayDoc, pathwayDocFile, pathwayIndex } from '../machines/diagram.js';
import { hello } from '../machines/hello.js';
import { definePathway, pathwayKey } from '../machines/pathway.js';
import { pathways } from '../machines/registry.js';

const pages = join(import.meta.dirname, '..', 'docs', 'pathways');
const committed = (file: string) => readFile(join(pages, file), 'utf8').catch(() => undefined);
const regenerate = 'run `npx tsx scripts/diagrams.ts` and commit the result';

async function expectCommitted(file: string, generated: string) {
  const page = await committed(file);
  if (page === undefined) expect.fail(`docs/pathways/${file} is missing: ${regenerate}`);
  expect(page, `docs/pathways/${file} is stale: ${regenerate}`).toBe(generated);
}

describe('committed pathway pages', () => {
  it.each(pathways.map((pathway) => [pathwayKey(pathway.kind, pathway.version), pathway] as const))('%s matches its chart', async (_key, pathway) => {
    await expectCommitted(pathwayDocFile(pathway, pathways), pathwayDoc(pathway));
  });

  it('README.md lists every registered pathway', async () => {
    await expectCommitted('README.md', pathwayIndex(pathways));
  });
});

describe('hello diagram', () => {
  const diagram = mermaidDiagram(hello);
  const lines = diagram.split('\n').map((line) => line.trim());

  it('is a state diagram naming every state with its Italian label', () => {
    expect(lines[0]).toBe('stateDiagram-v2');
    for (const [path, label] of Object.entries(hello.stateLabels)) expect(lines).toContain(`state "${label}" as ${path}`);
  });

  it('starts in the scheduled state and ends in the final ones', () => {
    expect(lines).toContain('[*] --> scheduled');
    expect(lines).toContain('approved --> [*]');
    expect(lines).toContain('closed --> [*]');
    expect(lines).not.toContain('evaluation --> [*]');
  });

  it('labels transitions with the Italian event label and the guard, internal events with short Italian words', () => {
    expect(lines).toContain('evaluation --> approved : Firma della valutazione [signoffCloses]');
    expect(lines).toContain('evaluation --> closed : scadenza [isRoundTimer]');
    expect(lines).toContain('evaluation --> evaluation : sollecito [isRoundTimer]');
    expect(lines).toContain('scheduled --> evaluation : dopo il termine');
    expect(lines).toContain('scheduled --> evaluation : [evaluationIsDue]');
  });

  it('draws the withdrawal, declared on the whole chart, from each state a case can be withdrawn from', () => {
    expect(lines.filter((line) => line.endsWith(': Ritiro della segnalazione'))).toEqual([
      'scheduled --> closed : Ritiro della segnalazione',
      'evaluation --> closed : Ritiro della segnalazione',
    ]);
  });

  it('draws guarded alternatives with the same source, target and label once', () => {
    // Both 'changes-requested' and 'rejected' close the round towards `closed`.
    expect(lines.filter((line) => line === 'evaluation --> closed : Firma della valutazione [signoffCloses]')).toHaveLength(1);
    expect(new Set(lines.filter((line) => line.includes('-->'))).size).toBe(lines.filter((line) => line.includes('-->')).length);
  });

  it('highlights nothing unless asked, and exactly the active state when asked', () => {
    expect(diagram).not.toContain('classDef');
    const highlighted = mermaidDiagram(hello, ['evaluation'])
      .split('\n')
      .map((line) => line.trim());
    expect(highlighted).toContain('classDef active fill:#ffd54f,stroke:#e65100,stroke-width:2px');
    expect(highlighted.filter((line) => line.startsWith('class '))).toEqual(['class evaluation active']);
  });

  it('refuses to highlight a state the chart does not have', () => {
    expect(() => mermaidDiagram(hello, ['evaluation.missing'])).toThrow(/hello@1 has no state evaluation\.missing/);
  });

  it('is deterministic', () => {
    expect(mermaidDiagram(hello)).toBe(diagram);
    expect(pathwayDoc(hello)).toBe(pathwayDoc(hello));
  });
});

describe('nested and parallel charts', () => {
  // A made-up pathway with what hello lacks: nesting, parallel regions, ids Mermaid would not accept, an inline delay.
  const machine = setup({ guards: { hasPlace: () => true, urgent: () => false } }).createMachine({
    id: 'demo',
    initial: 'intake',
    states: {
      intake: { on: { 'intake.done': 'activation' }, after: { 3_600_000: 'lapsed' } },
      activation: {
        type: 'parallel',
        states: {
          'home-care': { initial: 'planning', states: { planning: { on: { 'plan.ready': 'running' } }, running: { type: 'final' } } },
          shelter: {
            initial: 'search',
            states: { search: { always: { guard: and(['hasPlace', not('urgent')]), target: 'placed' } }, placed: { type: 'final' } },
          },
        },
        onDone: 'closed',
      },
      lapsed: { type: 'final' },
      closed: { type: 'final' },
    },
  });
  const demo = definePathway({
    kind: 'demo',
    version: '1',
    title: 'Percorso dimostrativo',
    startSchema: z.object({ note: z.string().meta({ sensitive: 'special-category' }) }),
    startRoles: ['social-worker'],
    roles: { 'social-worker': 'Assistente sociale' },
    organisations: ['municipality'],
    events: {
      'intake.done': { schema: z.object({}), roles: ['social-worker'], label: 'Accoglienza conclusa: si attiva' },
      'plan.ready': { schema: z.object({}), roles: ['social-worker'], label: 'Piano | pronto' },
    },
    stateLabels: {
      intake: 'Accoglienza',
      activation: 'Attivazione',
      'activation.home-care': 'Assistenza domiciliare',
      'activation.home-care.planning': 'Pianificazione',
      'activation.home-care.running': 'In corso',
      'activation.shelter': 'Accoglienza "residenziale"',
      'activation.shelter.search': 'Ricerca',
      'activation.shelter.placed': 'Inserito',
      lapsed: 'Decaduto',
      closed: 'Chiuso',
    },
    machine,
  });
  const diagram = mermaidDiagram(demo, ['activation.home-care.planning', 'activation.shelter.search']);

  it('nests compound states and separates parallel regions with --', () => {
    expect(diagram).toContain(
      [
        '  state "Attivazione" as activation {',
        '    state "Assistenza domiciliare" as activation_home_care {',
        '      [*] --> activation_home_care_planning',
        '      state "Pianificazione" as activation_home_care_planning',
        '      state "In corso" as activation_home_care_running',
        '      activation_home_care_planning --> activation_home_care_running : Piano | pronto',
        '      activation_home_care_running --> [*]',
        '    }',
        '    --',
        '    state "Accoglienza \'residenziale\'" as activation_shelter {',
        '      [*] --> activation_shelter_search',
      ].join('\n'),
    );
    expect(diagram).toContain('activation_shelter_search --> activation_shelter_placed : [hasPlace && !urgent]');
    expect(diagram).toContain('activation --> closed : completamento');
  });

  it('keeps labels within what Mermaid parses: no colon or semicolon in a transition label', () => {
    expect(diagram).toContain('intake --> activation : Accoglienza conclusa, si attiva');
    expect(diagram).toContain('intake --> lapsed : dopo 1 ora');
  });

  it('highlights the active leaves of every region and their ancestors', () => {
    expect(diagram.split('\n').filter((line) => line.trim().startsWith('class '))).toEqual([
      '  class activation active',
      '  class activation_home_care active',
      '  class activation_home_care_planning active',
      '  class activation_shelter active',
      '  class activation_shelter_search active',
    ]);
    expect(leafPaths({ activation: { 'home-care': 'planning', shelter: 'search' } })).toEqual(['activation.home-care.planning', 'activation.shelter.search']);
  });

  it('documents the pathway with its sensitive start fields, escaping table cells', () => {
    const doc = pathwayDoc(demo);
    expect(doc).toContain('| `note` | categorie particolari (art. 9 GDPR) |');
    expect(doc).toContain('| `plan.ready` | Piano \\| pronto | Assistente sociale (`social-worker`) |');
    expect(doc).toContain('| `activation.home-care` | Assistenza domiciliare | composto |');
    expect(doc).toContain(`\`\`\`mermaid\n${mermaidDiagram(demo)}\`\`\`\n`);
  });

  it('gives the newest version of a kind its plain page name and older versions their own', () => {
    const demoV2 = { ...demo, version: '2' };
    expect(pathwayDocFile(demo, [demo, demoV2])).toBe('demo@1.md');
    expect(pathwayDocFile(demoV2, [demo, demoV2])).toBe('demo.md');
    expect(pathwayIndex([demo, demoV2])).toContain('| Percorso dimostrativo | `demo@1` | [demo@1.md](demo@1.md) |');
  });
});
