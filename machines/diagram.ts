import type { AnyStateNode, AnyTransitionDefinition } from 'xstate';
import { descendants, pathwayKey, sensitiveFields, type PathwayDefinition, type Sensitivity } from './pathway.js';

/**
 * Mermaid state diagrams and Markdown pages of pathways, read from the statechart itself so that what reviewers
 * see cannot drift from what cases run. Pure: `scripts/diagrams.ts` writes the pages, a test fails when they are stale.
 */

/** Short Italian labels of the events the engine raises itself: nobody sends them, so no pathway defines them. */
const internalEventLabels: Readonly<Record<string, string>> = {
  'round.remind': 'sollecito',
  'round.escalate': 'segnalazione al coordinatore',
  'round.expire': 'scadenza',
  'deadline.expire': 'termine scaduto',
  '*': 'qualsiasi evento',
};

const internalEventPrefixLabels: ReadonlyArray<readonly [string, string]> = [
  ['xstate.done.state.', 'completamento'],
  ['xstate.done.actor.', 'esito'],
  ['xstate.error.actor.', 'errore'],
];

const stateTypeLabels: Readonly<Record<AnyStateNode['type'], string>> = {
  atomic: 'semplice',
  compound: 'composto',
  parallel: 'parallelo',
  final: 'finale',
  history: 'storico',
};

const sensitivityLabels: Readonly<Record<Sensitivity, string>> = {
  personal: 'dati personali',
  'special-category': 'categorie particolari (art. 9 GDPR)',
  criminal: 'dati giudiziari (art. 10 GDPR)',
};

const ACTIVE_STYLE = 'classDef active fill:#ffd54f,stroke:#e65100,stroke-width:2px';

const dottedPath = (node: AnyStateNode) => node.path.join('.');

/**
 * Mermaid's state-diagram lexer reads `state `, `note `, `class `, `classDef `, `scale ` and anything starting with
 * `default` as keywords (case-insensitively), so an id spelled like one would break the diagram.
 */
const mermaidKeyword = /^(default|state$|note$|class$|classdef$|scale$|direction$)/i;

/** Ids Mermaid accepts (no '.', '-', ':' or spaces), unique even when two paths differ only in those characters. */
function mermaidIds(nodes: readonly AnyStateNode[]): Map<AnyStateNode, string> {
  const ids = new Map<AnyStateNode, string>();
  const taken = new Set<string>();
  for (const node of nodes) {
    let id = dottedPath(node).replace(/[^A-Za-z0-9_]/g, '_');
    if (mermaidKeyword.test(id)) id = `s_${id}`;
    const base = id;
    for (let n = 2; taken.has(id); n += 1) id = `${base}_${n}`;
    taken.add(id);
    ids.set(node, id);
  }
  return ids;
}

/** A transition label must not contain ':' or ';' (they end it) nor a line break. */
const edgeText = (text: string) => text.replace(/[:;]/g, ',').replace(/\s+/g, ' ').trim();
/** A state label is a double-quoted string Mermaid cannot escape into. */
const stateText = (text: string) => text.replace(/"/g, "'").replace(/\s+/g, ' ').trim();

function guardText(guard: unknown, nested = false): string {
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') {
    // xstate's higher-order guards are functions named after themselves that carry their operands.
    const composite = guard as { name: string; guards?: unknown[]; stateValue?: unknown };
    if (composite.guards && composite.name === 'not') return `!${guardText(composite.guards[0], true)}`;
    if (composite.guards && (composite.name === 'and' || composite.name === 'or')) {
      // and([]) always holds (drawn as no guard at all), or([]) never does.
      if (!composite.guards.length) return composite.name === 'and' ? '' : 'false';
      const joined = composite.guards.map((operand) => guardText(operand, true)).join(composite.name === 'and' ? ' && ' : ' || ');
      return nested && composite.guards.length > 1 ? `(${joined})` : joined;
    }
    if (composite.name === 'stateIn') return `in ${JSON.stringify(composite.stateValue)}`;
    return composite.name || 'condizione';
  }
  if (guard && typeof guard === 'object' && 'type' in guard) return String((guard as { type: unknown }).type);
  return 'condizione';
}

const units: ReadonlyArray<readonly [number, string, string]> = [
  [86_400_000, 'giorno', 'giorni'],
  [3_600_000, 'ora', 'ore'],
  [60_000, 'minuto', 'minuti'],
  [1_000, 'secondo', 'secondi'],
];

function delayText(delay: unknown): string {
  if (typeof delay !== 'number') return 'dopo il termine';
  const unit = units.find(([ms]) => delay >= ms && delay % ms === 0);
  if (!unit) return `dopo ${delay} ms`;
  const amount = delay / unit[0];
  return `dopo ${amount} ${amount === 1 ? unit[1] : unit[2]}`;
}

function eventText(pathway: PathwayDefinition, source: AnyStateNode, eventType: string): string | undefined {
  if (eventType === '') return undefined; // eventless (`always`)
  const defined = pathway.events[eventType]?.label ?? internalEventLabels[eventType];
  if (defined) return defined;
  if (eventType.startsWith('xstate.after.')) {
    return delayText(source.after.find((transition) => transition.eventType === eventType)?.delay);
  }
  return internalEventPrefixLabels.find(([prefix]) => eventType.startsWith(prefix))?.[1] ?? eventType;
}

function transitionLabel(pathway: PathwayDefinition, source: AnyStateNode, transition: AnyTransitionDefinition): string {
  const guard = transition.guard ? guardText(transition.guard) : '';
  return edgeText([eventText(pathway, source, transition.eventType), guard && `[${guard}]`].filter(Boolean).join(' '));
}

const ownTransitions = (node: AnyStateNode): AnyTransitionDefinition[] => [...[...node.transitions.values()].flat(), ...(node.always ?? [])];

/**
 * The root has no box of its own to draw an arrow from, so its transitions (withdrawing a case, say) are drawn from
 * each top-level state they can leave: not a final one (the case is over), nor one that handles the event itself.
 */
function rootSources(root: AnyStateNode, transition: AnyTransitionDefinition): AnyStateNode[] {
  return Object.values(root.states).filter(
    (child: AnyStateNode) => child.type !== 'final' && !(child.transitions.get(transition.eventType) ?? []).some((own: AnyTransitionDefinition) => !own.guard),
  );
}

function ancestorsOrSelf(node: AnyStateNode): AnyStateNode[] {
  const chain: AnyStateNode[] = [];
  for (let current: AnyStateNode | undefined = node; current; current = current.parent) chain.push(current);
  return chain;
}

/**
 * The block an arrow is written in: the innermost state containing both ends' boxes. Mermaid renders arrows written
 * between a parallel state's regions as part of the last region, so those go one level up.
 */
function edgeContainer(root: AnyStateNode, source: AnyStateNode, target: AnyStateNode): AnyStateNode {
  const sourceSide = ancestorsOrSelf(source.parent ?? root);
  let container = ancestorsOrSelf(target.parent ?? root).find((node) => sourceSide.includes(node)) ?? root;
  while (container.type === 'parallel' && container.parent) container = container.parent;
  return container;
}

interface Edge {
  from: string;
  to: string;
  label: string;
}

/** States (dotted, each with everything inside it listed too) and event types a diagram leaves out. */
export interface LeftOut {
  states: ReadonlySet<string>;
  events: ReadonlySet<string>;
}

/**
 * A Mermaid `stateDiagram-v2` of the pathway's chart with its Italian labels: compound states as nested blocks,
 * parallel regions separated by `--`, guards in brackets. `active` takes dotted leaf paths ("activation.shelter");
 * those states and their ancestors are highlighted. What `leftOut` names is not drawn, nor any arrow to or from it.
 */
export function mermaidDiagram(pathway: PathwayDefinition, active?: readonly string[], leftOut?: LeftOut): string {
  const root = pathway.machine.root;
  const drawn = (node: AnyStateNode) => !leftOut?.states.has(dottedPath(node));
  const nodes = descendants(root).filter(drawn);
  const ids = mermaidIds(nodes);
  const id = (node: AnyStateNode) => ids.get(node) ?? '[*]';

  const edges = new Map<AnyStateNode, Edge[]>();
  const seen = new Set<string>();
  const addEdge = (source: AnyStateNode, target: AnyStateNode, label: string) => {
    if (!drawn(target)) return;
    const edge = { from: id(source), to: id(target), label };
    const key = JSON.stringify(edge);
    if (seen.has(key)) return; // a round's guarded alternatives often share source, target and label
    seen.add(key);
    const container = edgeContainer(root, source, target);
    edges.set(container, [...(edges.get(container) ?? []), edge]);
  };
  const drawTransitions = (owner: AnyStateNode, transition: AnyTransitionDefinition, sources: readonly AnyStateNode[]) => {
    if (leftOut?.events.has(transition.eventType)) return;
    const label = transitionLabel(pathway, owner, transition);
    // A transition without a target runs its actions and stays: drawn as a loop on the state it was taken in.
    // One that targets the whole machine restarts it: drawn to the state it starts in.
    const targets = transition.target?.length ? transition.target : undefined;
    for (const source of sources) {
      for (const target of targets ?? [source]) {
        addEdge(source, target === root ? (root.initial.target[0] ?? source) : target, label);
      }
    }
  };
  for (const node of nodes) {
    for (const transition of ownTransitions(node)) drawTransitions(node, transition, [node]);
    if (node.parent === root) {
      for (const transition of ownTransitions(root)) {
        if (rootSources(root, transition).includes(node)) drawTransitions(root, transition, [node]);
      }
    }
  }

  const label = (node: AnyStateNode) => {
    const text = stateText(pathway.stateLabels[dottedPath(node)] ?? node.key);
    return node.type === 'history' ? `${text} (${node.history === 'deep' ? 'H*' : 'H'})` : text;
  };
  const block = (container: AnyStateNode, indent: string): string[] => {
    const children: AnyStateNode[] = Object.values(container.states).filter(drawn);
    const declare = (child: AnyStateNode): string[] =>
      Object.keys(child.states).length
        ? [`${indent}state "${label(child)}" as ${id(child)} {`, ...block(child, `${indent}  `), `${indent}}`]
        : [`${indent}state "${label(child)}" as ${id(child)}`];
    const initial = container.type === 'compound' ? container.initial.target.filter(drawn) : [];
    return [
      ...initial.map((child: AnyStateNode) => `${indent}[*] --> ${id(child)}`),
      // Regions of a parallel state run side by side: Mermaid separates them with `--` (only inside a block).
      ...(container.type === 'parallel' && container.parent
        ? children.flatMap((child, index) => [...(index ? [`${indent}--`] : []), ...declare(child)])
        : children.flatMap(declare)),
      ...(edges.get(container) ?? []).map((edge) => `${indent}${edge.from} --> ${edge.to}${edge.label ? ` : ${edge.label}` : ''}`),
      ...children.filter((child) => child.type === 'final').map((child) => `${indent}${id(child)} --> [*]`),
    ];
  };

  const lines = ['stateDiagram-v2', ...block(root, '  ')];
  if (active) {
    const byPath = new Map(nodes.map((node) => [dottedPath(node), node]));
    const highlighted = new Set<AnyStateNode>();
    for (const path of active) {
      const node = byPath.get(path);
      if (!node) throw new Error(`${pathwayKey(pathway.kind, pathway.version)} has no state ${path}`);
      for (const ancestor of ancestorsOrSelf(node)) if (ancestor !== root) highlighted.add(ancestor);
    }
    lines.push(`  ${ACTIVE_STYLE}`, ...nodes.filter((node) => highlighted.has(node)).map((node) => `  class ${id(node)} active`));
  }
  return `${lines.join('\n')}\n`;
}

/** The page of a pathway version under docs/pathways/: the newest version of a kind owns `<kind>.md`. */
export function pathwayDocFile(pathway: PathwayDefinition, registered: readonly PathwayDefinition[]): string {
  const newest = registered.filter((other) => other.kind === pathway.kind).at(-1);
  return newest === pathway ? `${pathway.kind}.md` : `${pathway.kind}@${pathway.version}.md`;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();
const code = (text: string) => `\`${text}\``;

function roleList(pathway: PathwayDefinition, roles: readonly string[]): string {
  return roles.map((role) => `${pathway.roles[role] ?? role} (${code(role)})`).join(', ');
}

const GENERATED = '<!-- Generated by `npx tsx scripts/diagrams.ts` from the pathway definition: do not edit by hand. -->';

/** Who may not read a class of fields, and what else their view of a case leaves out so as not to tell it. */
function needToKnow(pathway: PathwayDefinition): string[] {
  const restricted = Object.entries(pathway.restrictedFrom ?? {}) as [Sensitivity, readonly string[]][];
  if (!restricted.length) return ['Every role of the pathway reads the whole case.'];
  const list = (kind: string, names: readonly string[] | undefined) => (names?.length ? [`${kind} ${names.map(code).join(', ')}`] : []);
  return [
    '| Class | Hidden from | Also left out of their view |',
    '|---|---|---|',
    ...restricted.map(([sensitivity, roles]) => {
      const parts = pathway.revealedBy?.[sensitivity];
      const leftOut = [
        ...list('states', parts?.states),
        ...list('events', parts?.events),
        ...list('roles', parts?.roles),
        ...list('recorded fields', parts?.fields),
      ];
      return `| ${sensitivityLabels[sensitivity]} | ${cell(roleList(pathway, roles))} | ${leftOut.length ? leftOut.join('; ') : '—'} |`;
    }),
  ];
}

/** The Markdown page of one pathway version: what it is, its states, its events and who sends them, its diagram. */
export function pathwayDoc(pathway: PathwayDefinition): string {
  const root = pathway.machine.root;
  const sensitive = Object.entries(sensitiveFields(pathway.startSchema));
  const parameters = pathway.parametersSchema ? Object.keys(pathway.parametersSchema.shape) : [];
  const lines = [
    `# ${pathway.title}`,
    '',
    GENERATED,
    '',
    `- Version: ${code(pathwayKey(pathway.kind, pathway.version))}`,
    `- Opened by: ${roleList(pathway, pathway.startRoles)}`,
    `- Organisations (joint controllers): the opener's, with its partners of type ${pathway.organisations.map(code).join(', ')}`,
    ...Object.keys(pathway.organisationsWhen ?? {}).map((type) => `  - and of type ${code(type)} when the start data calls for it`),
    ...Object.entries(pathway.events)
      .filter(([, event]) => event.handsOver)
      .map(([type, event]) => `  - and the ${code(event.handsOver!.organisationType)} named by ${code(type)} (${code(event.handsOver!.field)})`),
    ...Object.entries(pathway.events)
      .filter(([, event]) => event.handsBack)
      .map(([type]) => `  - but no longer the organisation that sends ${code(type)}, unless it co-owned the case from the start`),
    ...(parameters.length ? [`- Parameters (${code(`config/parameters/${pathway.kind}.json`)}): ${parameters.map(code).join(', ')}`] : []),
    '',
    '## States',
    '',
    '| State | Label | Type |',
    '|---|---|---|',
    ...descendants(root).map((node) => `| ${code(dottedPath(node))} | ${cell(pathway.stateLabels[dottedPath(node)] ?? '')} | ${stateTypeLabels[node.type]} |`),
    '',
    '## Events',
    '',
    '| Event | Label | Sent by |',
    '|---|---|---|',
    ...Object.entries(pathway.events).map(([type, event]) => `| ${code(type)} | ${cell(event.label)} | ${cell(roleList(pathway, event.roles))} |`),
    '',
    '## Sensitive start fields',
    '',
    ...(sensitive.length
      ? ['| Field | Class |', '|---|---|', ...sensitive.map(([field, sensitivity]) => `| ${code(field)} | ${sensitivityLabels[sensitivity]} |`)]
      : ['None.']),
    '',
    '## Need-to-know',
    '',
    ...needToKnow(pathway),
    '',
    '## Diagram',
    '',
    '```mermaid',
    mermaidDiagram(pathway).trimEnd(),
    '```',
  ];
  return `${lines.join('\n')}\n`;
}

/** docs/pathways/README.md: every registered pathway version, in registry order, with a link to its page. */
export function pathwayIndex(registered: readonly PathwayDefinition[]): string {
  const lines = [
    '# Pathways',
    '',
    GENERATED,
    '',
    '| Pathway | Version | Page |',
    '|---|---|---|',
    ...registered.map((pathway) => {
      const file = pathwayDocFile(pathway, registered);
      return `| ${cell(pathway.title)} | ${code(pathwayKey(pathway.kind, pathway.version))} | [${file}](${file}) |`;
    }),
  ];
  return `${lines.join('\n')}\n`;
}
