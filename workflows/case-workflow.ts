import {
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { AnyMachineSnapshot, StateValue } from 'xstate';
import type { z } from 'zod';
import type { CaseActivities, NotificationRequest } from '../activities/index.js';
import type { CaseContext, EffectParams } from '../machines/case-setup.js';
import type { PathwayDefinition } from '../machines/pathway.js';
import type { SignoffRound } from '../machines/signoff.js';
import {
  caseView,
  coOwnedBy,
  rejection,
  sendEvent,
  type CaseStart,
  type CaseView,
  type DeliveryAlert,
  type EventRequest,
  type FieldIssue,
  type PendingEffect,
  type PendingTimer,
  type TimelineEntry,
} from './messages.js';
import { searchAttributes } from './search-attributes.js';
import { sharedByWorker } from './shared-by-worker.js';

/** Only types are imported statically from machines/: at run time they come once per worker (see sharedByWorker). */
type MachinesRuntime = typeof import('../machines/runtime.js');
const loadMachines = () => sharedByWorker('machines', () => import(/* webpackMode: "eager" */ '../machines/runtime.js'));

const { sendNotification } = proxyActivities<CaseActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '1 minute',
  // SMTP trouble must never fail a case: retry without limit, backing off to one attempt every ten minutes.
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

const internalEventLabels: Record<string, string> = {
  'xstate.init': 'Apertura del caso',
  'round.remind': 'Sollecito ai valutatori in ritardo',
  'round.escalate': 'Segnalazione del ritardo al coordinatore',
  'round.expire': 'Scadenza della valutazione',
  'deadline.expire': 'Termine scaduto',
};

function internalEventLabel(type: string): string {
  if (Object.hasOwn(internalEventLabels, type)) return internalEventLabels[type]!;
  return type.startsWith('xstate.after.') ? 'Termine trascorso' : type;
}

const alertLabels: Record<DeliveryAlert['kind'], string> = {
  undeliverable: 'Notifica non recapitabile: indirizzo rifiutato',
  unstaffed: 'Notifica senza destinatari: nessun operatore con il ruolo',
};

const notificationTemplates: Record<keyof EffectParams, NotificationRequest['template']> = {
  requestSignoff: 'new-task',
  remind: 'reminder',
  escalate: 'escalation',
  notify: 'update',
};

export function leafPaths(value: StateValue, prefix = ''): string[] {
  if (typeof value === 'string') return [prefix + value];
  return Object.entries(value).flatMap(([key, child]) =>
    child === undefined || (typeof child === 'object' && Object.keys(child).length === 0)
      ? [prefix + key]
      : leafPaths(child, `${prefix}${key}.`),
  );
}

/** Every active state with its ancestors, dotted: what a dashboard may filter on at any depth. */
export function activePaths(value: StateValue): string[] {
  return [...new Set(leafPaths(value).flatMap((leaf) => leaf.split('.').map((_, i, parts) => parts.slice(0, i + 1).join('.'))))].sort();
}

const topLevelState = (value: StateValue) => (typeof value === 'string' ? value : Object.keys(value).join(','));

function fieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
}

function reject(type: string, message: string, issues?: FieldIssue[]): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true, details: issues ? [issues] : [] });
}

/** A durable timer for `dueAt`, cancelled through the scope it returns; `fired` gets that scope when it fires. */
function startTimer(dueAt: number, fired: (scope: CancellationScope) => void): CancellationScope {
  const scope = new CancellationScope();
  scope.run(() => sleep(Math.max(0, dueAt - Date.now()))).then(
    () => fired(scope),
    (error: unknown) => {
      if (!isCancellation(error)) throw error;
    },
  );
  return scope;
}

/** The chart's pending delayed events (reminders, escalations, deadlines), each with its absolute due time. */
interface DelayedEvents {
  /** Adds the delayed event, or moves it if one with its id is pending. */
  set(timer: PendingTimer): void;
  cancel(id: string): void;
  /** Brings the durable timers in line with the pending events, once a step's actions are all applied. */
  settle(): void;
  pending(): PendingTimer[];
}

/**
 * One durable timer per case, for the earliest pending event, however many the chart has pending: a sign-off round
 * keeps a reminder, an escalation and its deadline pending at once, and a timer each cost a case six history events
 * (started, then cancelled). When it fires, every event then due is applied in due order, and it is re-armed for the
 * next one. A closing case leaves its timer armed: completing the workflow discards it without a history event.
 */
class OneAlarm implements DelayedEvents {
  private readonly timers = new Map<string, PendingTimer>();
  private alarm?: { dueAt: number; scope: CancellationScope };
  private ringing = false;

  constructor(
    private readonly onDue: (timer: PendingTimer) => void,
    private readonly isClosed: () => boolean,
  ) {}

  set(timer: PendingTimer): void {
    this.timers.delete(timer.id);
    this.timers.set(timer.id, timer);
  }

  cancel(id: string): void {
    this.timers.delete(id);
  }

  pending(): PendingTimer[] {
    return [...this.timers.values()];
  }

  settle(): void {
    if (this.ringing || this.isClosed()) return;
    const dueAt = this.earliest()?.dueAt;
    if (dueAt === this.alarm?.dueAt) return;
    this.alarm?.scope.cancel();
    this.alarm = undefined;
    if (dueAt === undefined) return;
    const scope = startTimer(dueAt, (fired) => {
      if (this.alarm?.scope !== fired) return;
      this.alarm = undefined;
      this.ring();
    });
    this.alarm = { dueAt, scope };
  }

  private ring(): void {
    this.ringing = true;
    try {
      for (let due = this.takeDue(); due && !this.isClosed(); due = this.takeDue()) this.onDue(due);
    } finally {
      this.ringing = false;
    }
    this.settle();
  }

  private earliest(): PendingTimer | undefined {
    let earliest: PendingTimer | undefined;
    for (const timer of this.timers.values()) if (!earliest || timer.dueAt < earliest.dueAt) earliest = timer;
    return earliest;
  }

  private takeDue(): PendingTimer | undefined {
    const due = this.earliest();
    if (!due || due.dueAt > Date.now()) return undefined;
    this.timers.delete(due.id);
    return due;
  }
}

/**
 * A durable timer per pending event: how cases started before the `one-alarm-per-case` patch run, so that their
 * histories replay exactly. Remove it with the patch (deprecatePatch) once no such case is open.
 */
class TimerPerEvent implements DelayedEvents {
  private readonly armed = new Map<string, PendingTimer & { scope: CancellationScope }>();
  // A timer raised and cancelled within one step (a state entered and left at once) never reaches the history.
  private readonly toArm = new Map<string, PendingTimer>();

  constructor(private readonly onDue: (timer: PendingTimer) => void) {}

  set(timer: PendingTimer): void {
    this.disarm(timer.id);
    this.toArm.set(timer.id, timer);
  }

  cancel(id: string): void {
    this.toArm.delete(id);
    this.disarm(id);
  }

  pending(): PendingTimer[] {
    return [...this.armed.values()].map(({ id, event, dueAt }) => ({ id, event, dueAt }));
  }

  settle(): void {
    for (const timer of this.toArm.values()) this.arm(timer);
    this.toArm.clear();
  }

  private arm(timer: PendingTimer): void {
    const scope = startTimer(timer.dueAt, (fired) => {
      if (this.armed.get(timer.id)?.scope !== fired) return;
      this.armed.delete(timer.id);
      this.onDue(timer);
    });
    this.armed.set(timer.id, { ...timer, scope });
  }

  private disarm(id: string): void {
    const timer = this.armed.get(id);
    if (!timer) return;
    this.armed.delete(id);
    timer.scope.cancel();
  }
}

/**
 * Owns one case: the xstate snapshot, the durable timers that stand for the chart's delayed events, the timeline,
 * and the queue of effects still to run. Every method is synchronous except `runEffects`, so that events from
 * updates and timers are applied one at a time, in the order Temporal delivers them.
 */
class CaseEngine {
  private snapshot: AnyMachineSnapshot;
  private readonly delayed: DelayedEvents;
  private timeline: TimelineEntry[];
  private alerts: DeliveryAlert[];
  private effects: PendingEffect[];
  private nextEffectSeq: number;
  private readonly startedAt: string;
  /** What each search attribute was last set to, as JSON: only those that change are upserted. */
  private readonly published = new Map<string, string>();
  /** Register ids of the organisations the case was handed over to, beyond its co-owners from the start. */
  private handedOver: string[];

  constructor(
    private readonly machines: MachinesRuntime,
    private readonly pathway: PathwayDefinition,
    private readonly start: CaseStart,
  ) {
    this.handedOver = start.carried?.handedOver ?? [];
    const fire = (timer: PendingTimer) => this.apply({ ...timer.event, at: new Date().toISOString() });
    this.delayed = patched('one-alarm-per-case') ? new OneAlarm(fire, () => this.done) : new TimerPerEvent(fire);
    const carried = start.carried;
    if (carried) {
      const persisted = carried.persistedSnapshot as { value: StateValue; context: CaseContext<unknown> };
      this.snapshot = pathway.machine.resolveState({ value: persisted.value, context: persisted.context });
      this.startedAt = carried.startedAt;
      this.timeline = carried.timeline;
      this.alerts = carried.alerts;
      this.effects = carried.effects;
      this.nextEffectSeq = carried.nextEffectSeq;
      for (const timer of carried.timers) this.delayed.set(timer);
      this.delayed.settle();
    } else {
      const parsed = pathway.startSchema.safeParse(start.data);
      if (!parsed.success) reject(rejection.invalidPayload, 'I dati di apertura del caso non sono validi', fieldIssues(parsed.error));
      this.startedAt = new Date().toISOString();
      this.timeline = [];
      this.alerts = [];
      this.effects = [];
      this.nextEffectSeq = 1;
      const [snapshot, actions] = machines.initialTransition(pathway.machine, {
        caseRef: start.caseRef,
        data: parsed.data,
        startedBy: start.startedBy,
        startedAt: this.startedAt,
        settings: start.settings,
      });
      this.snapshot = snapshot;
      this.record({ type: 'xstate.init' }, start.startedBy, '', this.startedAt);
      this.execute(actions);
    }
    this.publishSearchAttributes();
  }

  get done(): boolean {
    return this.snapshot.status !== 'active';
  }

  get hasEffects(): boolean {
    return this.effects.length > 0;
  }

  /** Runs in the update validator: nothing it rejects ever reaches the history. */
  validate(request: EventRequest): void {
    if (!coOwnedBy(this.coOwners, request.actor.organisation)) {
      reject(rejection.notCoOwner, `Caso ${this.start.caseRef} non trovato`);
    }
    const definition = this.pathway.events[request.type];
    if (!definition) reject(rejection.unknownEvent, `Evento sconosciuto: ${request.type}`);
    const parsed = definition.schema.safeParse(request.payload);
    if (!parsed.success) reject(rejection.invalidPayload, 'Dati dell’evento non validi', fieldIssues(parsed.error));
    if (!definition.roles.includes(request.actor.role)) {
      reject(rejection.roleNotAllowed, `Il ruolo ${request.actor.role} non può inviare l’evento ${request.type}`);
    }
    if (!this.snapshot.can(this.stamp(request, parsed.data))) {
      reject(rejection.notAllowedNow, `L’evento ${request.type} non è ammesso nello stato attuale (${this.stateLabel()})`);
    }
  }

  accept(request: EventRequest): CaseView {
    const definition = this.pathway.events[request.type]!;
    const payload = definition.schema.parse(request.payload);
    // Before the transition, so that the co-owners are published with it and notified of what it notifies.
    if (definition.handsOver) this.handOver((payload as Record<string, unknown>)[definition.handsOver.field]);
    if (definition.handsBack) this.handedOver = this.handedOver.filter((organisation) => organisation !== request.actor.organisation);
    this.apply(this.stamp(request, payload), request.actor);
    return this.view(request.actor.role);
  }

  /** By register id; undefined on cases opened before co-ownership, which anyone of the pathway's roles may reach. */
  get coOwners(): string[] | undefined {
    return this.start.coOwners && [...new Set([...this.start.coOwners, ...this.handedOver])];
  }

  private handOver(organisation: unknown): void {
    if (this.start.coOwners && typeof organisation === 'string' && organisation && !this.handedOver.includes(organisation)) {
      this.handedOver.push(organisation);
    }
  }

  private stamp(request: EventRequest, payload: unknown) {
    return { type: request.type, payload, actor: request.actor, at: new Date().toISOString() };
  }

  private apply(event: { type: string; at: string } & Record<string, unknown>, actor?: EventRequest['actor']): void {
    const from = this.stateKey();
    const [snapshot, actions] = this.machines.transition(this.pathway.machine, this.snapshot, event as never);
    this.snapshot = snapshot;
    this.record(event, actor, from, event.at);
    this.execute(actions);
    this.publishSearchAttributes();
  }

  private record(event: { type: string }, actor: EventRequest['actor'] | undefined, from: string, at: string): void {
    this.timeline.push({
      at,
      event: event.type,
      label: this.pathway.events[event.type]?.label ?? internalEventLabel(event.type),
      ...(actor ? { actor: { id: actor.id, role: actor.role } } : {}),
      from,
      to: this.stateKey(),
    });
  }

  private execute(actions: readonly { type: string; params?: unknown }[]): void {
    for (const action of actions) {
      const params = (action.params ?? {}) as Record<string, unknown>;
      if (action.type === 'xstate.raise' && typeof params.delay === 'number') {
        this.delayed.set({ id: params.id as string, event: params.event as PendingTimer['event'], dueAt: Date.now() + params.delay });
      } else if (action.type === 'xstate.cancel') {
        this.delayed.cancel(params.sendId as string);
      } else if ((this.machines.effectTypes as readonly string[]).includes(action.type)) {
        this.effects.push({ seq: this.nextEffectSeq++, type: action.type, params });
      }
    }
    this.delayed.settle();
  }

  /** Runs queued effects in order; an effect stays queued until its activity has completed. */
  async runEffects(): Promise<void> {
    while (this.effects.length > 0) {
      const effect = this.effects[0]!;
      await this.perform(effect);
      this.effects.shift();
    }
  }

  private async perform(effect: PendingEffect): Promise<void> {
    const type = effect.type as keyof EffectParams;
    const params = effect.params as { roles?: string[]; operators?: string[] };
    const result = await sendNotification({
      caseRef: this.start.caseRef,
      messageKey: `${this.start.caseRef}.${effect.seq}`,
      template: notificationTemplates[type],
      recipients: { roles: params.roles ?? [], operators: params.operators ?? [], ...(this.coOwners ? { organisations: this.coOwners } : {}) },
    });
    const at = new Date().toISOString();
    if (result.undeliverable.length) this.alert({ at, kind: 'undeliverable', operators: result.undeliverable });
    if (result.unstaffedRoles.length) this.alert({ at, kind: 'unstaffed', roles: result.unstaffedRoles });
  }

  /** A notification that reached nobody must not go unnoticed: the coordinator sees it on the case. */
  private alert(alert: DeliveryAlert): void {
    this.alerts.push(alert);
    const state = this.stateKey();
    this.timeline.push({ at: alert.at, event: `notification.${alert.kind}`, label: alertLabels[alert.kind], from: state, to: state });
  }

  private get context(): CaseContext<unknown> {
    return this.snapshot.context as CaseContext<unknown>;
  }

  private stateKey(): string {
    return topLevelState(this.snapshot.value);
  }

  private stateLabel(): string {
    const key = this.stateKey();
    return this.pathway.stateLabels[key] ?? key;
  }

  private openRounds(): SignoffRound[] {
    return Object.values(this.context.rounds ?? {}).filter((round) => !round.closedAt);
  }

  private nextDeadline(): string | undefined {
    const clocks = Object.values(this.context.deadlines ?? {}).filter(this.machines.isRunning);
    return [...this.openRounds().map((round) => round.dueAt), ...clocks.map((clock) => clock.dueAt)].sort().at(0);
  }

  private pendingRoles(): string[] {
    const tasks = this.openRounds().flatMap(this.machines.pendingSignoffs);
    return [...new Set(tasks.flatMap((task) => task.recordedBy ?? [task.candidateRole]))].sort();
  }

  /** Only kind, version, state, roles, deadline, organisations and reference: Temporal keeps these in plain text. */
  private publishSearchAttributes(): void {
    const deadline = this.nextDeadline();
    const updates: SearchAttributeUpdatePair[] = [
      { key: searchAttributes.kind, value: this.pathway.kind },
      { key: searchAttributes.version, value: this.pathway.version },
      { key: searchAttributes.caseRef, value: this.start.caseRef },
      { key: searchAttributes.organisations, value: [...(this.coOwners ?? this.pathway.organisations)] },
      { key: searchAttributes.state, value: activePaths(this.snapshot.value) },
      { key: searchAttributes.pendingRoles, value: this.pendingRoles() },
      { key: searchAttributes.nextDeadline, value: deadline ? new Date(deadline) : null },
    ];
    const changed = updates.filter(({ key, value }) => {
      const json = JSON.stringify(value);
      if (this.published.get(key.name) === json) return false;
      this.published.set(key.name, json);
      return true;
    });
    if (changed.length) upsertSearchAttributes(changed);
  }

  private allowedEvents(role?: string) {
    if (this.done) return [];
    const handled = new Set(this.snapshot._nodes.flatMap((node) => node.ownEvents));
    return Object.entries(this.pathway.events)
      .filter(([type, definition]) => handled.has(type) && (!role || definition.roles.includes(role)))
      .map(([type, definition]) => ({ type, label: definition.label }));
  }

  view(role?: string): CaseView {
    const nextDeadline = this.nextDeadline();
    return {
      caseRef: this.start.caseRef,
      kind: this.pathway.kind,
      version: this.pathway.version,
      title: this.pathway.title,
      status: this.done ? 'done' : 'active',
      state: this.stateKey(),
      stateLabel: this.stateLabel(),
      activeStates: leafPaths(this.snapshot.value).map((path) => ({ path, label: this.pathway.stateLabels[path] ?? path })),
      allowedEvents: this.allowedEvents(role),
      pendingSignoffs: this.openRounds().flatMap(this.machines.pendingSignoffs),
      rounds: Object.values(this.context.rounds ?? {}).map((round) => ({
        id: round.spec.id,
        label: round.spec.label,
        openedAt: round.openedAt,
        dueAt: round.dueAt,
        ...(round.closedAt ? { closedAt: round.closedAt } : {}),
        decisions: round.decisions,
      })),
      deadlines: Object.values(this.context.deadlines ?? {})
        .filter((clock) => !clock.stoppedAt)
        .map((clock) => ({ id: clock.spec.id, label: clock.spec.label, dueAt: clock.dueAt, suspended: !!clock.suspendedAt })),
      ...(nextDeadline ? { nextDeadline } : {}),
      ...(this.context.outcome ? { outcome: this.context.outcome } : {}),
      startedBy: this.context.coordinator,
      startedAt: this.startedAt,
      data: this.context.data,
      timeline: this.timeline,
      alerts: this.alerts,
      ...(this.coOwners ? { coOwners: this.coOwners } : {}),
    };
  }

  carry(): CaseStart['carried'] {
    return {
      persistedSnapshot: this.pathway.machine.getPersistedSnapshot(this.snapshot),
      startedAt: this.startedAt,
      timers: this.delayed.pending(),
      timeline: this.timeline,
      alerts: this.alerts,
      effects: this.effects,
      nextEffectSeq: this.nextEffectSeq,
      handedOver: this.handedOver,
    };
  }
}

/** The one workflow that runs every pathway: the chart decides, this interprets it durably. */
export async function caseWorkflow(start: CaseStart): Promise<CaseView> {
  const machines = await loadMachines();
  const pathway = machines.findPathway(start.kind, start.version);
  if (!pathway) throw ApplicationFailure.nonRetryable(`Percorso sconosciuto: ${start.kind}@${start.version}`, 'UnknownPathway');
  const engine = new CaseEngine(machines, pathway, start);
  setHandler(sendEvent, (request) => engine.accept(request), { validator: (request) => engine.validate(request) });
  setHandler(caseView, (options) => engine.view(options?.role));

  const historyLimitReached = () =>
    start.continueAsNewAfterEvents !== undefined
      ? workflowInfo().historyLength >= start.continueAsNewAfterEvents
      : workflowInfo().continueAsNewSuggested;

  for (;;) {
    await condition(() => engine.hasEffects || engine.done || historyLimitReached());
    await engine.runEffects();
    if (engine.done && !engine.hasEffects) break;
    if (historyLimitReached() && !engine.hasEffects) {
      await condition(allHandlersFinished);
      if (engine.hasEffects) continue;
      await continueAsNew<typeof caseWorkflow>({ ...start, carried: engine.carry() });
    }
  }
  await condition(allHandlersFinished);
  return engine.view();
}
