import { ApplicationFailure, patched, proxyActivities, proxyLocalActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { AnyMachineSnapshot, StateValue } from 'xstate';
import type { CaseActivities, NotificationRequest } from '../activities/index.js';
import type { Refusal } from '../machines/access.js';
import type { CaseContext, EffectParams } from '../machines/case-setup.js';
import type { CaseIndex, CaseState, DeliveryAlert, EventRequest, TimelineEntry } from '../machines/case-state.js';
import type { PathwayDefinition } from '../machines/pathway.js';
import type { SignoffRound } from '../machines/signoff.js';
import type { CaseStart, PendingEffect, PendingTimer } from './messages.js';
import { searchAttributes } from './search-attributes.js';
import { OneAlarm, TimerPerEvent, type DelayedEvents } from './timers.js';

/** Only types are imported statically from machines/: at run time they come once per worker (see sharedByWorker). */
export type MachinesRuntime = typeof import('../machines/runtime.js');

const { sendNotification } = proxyActivities<CaseActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '1 minute',
  // SMTP trouble must never fail a case: retry without limit, backing off to one attempt every ten minutes.
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

/**
 * The case record's write (record/cases.ts): local, so that an update answers only once the record shows it, without
 * a round trip through the server's task queues. A database outage delays the answer; it loses nothing.
 */
const { recordCase } = proxyLocalActivities<CaseActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const notificationTemplates: Record<keyof EffectParams, NotificationRequest['template']> = {
  requestSignoff: 'new-task',
  remind: 'reminder',
  escalate: 'escalation',
  notify: 'update',
};

/** A refusal of the validator: nothing it rejects ever reaches the history. */
function reject({ code, message, issues }: Refusal): never {
  throw ApplicationFailure.create({ type: code, message, nonRetryable: true, details: issues ? [issues] : [] });
}

/**
 * Owns one case: the xstate snapshot, the durable timers that stand for the chart's delayed events, the timeline,
 * and the queue of effects still to run. Every method is synchronous except `runEffects`, so that events from
 * updates and timers are applied one at a time, in the order Temporal delivers them. What a viewer sees of it is
 * the projection's business (machines/projection.ts), not the engine's.
 */
export class CaseEngine {
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
  /** How many timeline entries the case record has: it is written after every transition, in order. */
  private recorded: number;
  private recording: Promise<void> = Promise.resolve();
  /** Whether this run has written the record: a case from before the record gets its first write when asked. */
  private written = false;
  /** How many times the case continued as new before this run: writes of a later run come after. */
  private readonly run: number;
  /** The workflow task in which the timeline was last looked at, and how long it was when that task began. */
  private task = -1;
  private committed = 0;

  constructor(
    private readonly machines: MachinesRuntime,
    private readonly pathway: PathwayDefinition,
    private readonly start: CaseStart,
  ) {
    this.handedOver = start.carried?.handedOver ?? [];
    this.recorded = start.carried?.recorded ?? 0;
    this.run = start.carried ? (start.carried.run ?? 0) + 1 : 0;
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
      if (!parsed.success) {
        reject({ code: 'InvalidPayload', message: 'I dati di apertura del caso non sono validi', issues: machines.fieldIssues(parsed.error) });
      }
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

  /** Transitions (or alerts) the case record does not have yet. */
  get unrecorded(): boolean {
    return this.recorded < this.timeline.length;
  }

  /**
   * Brings the case record up to date; chained, so that writes reach it in the order of the transitions, however many
   * handlers await it at once.
   */
  syncRecord(options: { evenIfCurrent?: boolean } = {}): Promise<void> {
    this.recording = this.recording.then(() => this.writeRecord(!!options.evenIfCurrent && !this.written));
    return this.recording;
  }

  private async writeRecord(force: boolean): Promise<void> {
    while (this.unrecorded || force) {
      force = false;
      const upTo = this.timeline.length;
      // Histories from before the record replay as they ran, without writes; the backfill files those cases.
      if (patched('case-record')) {
        await recordCase({ state: this.state(), index: this.index(), position: { run: this.run, task: this.currentTask(), committed: this.committed } });
        this.written = true;
      }
      this.recorded = upTo;
    }
  }

  /**
   * The history length at which the current workflow task began. The first time a task is seen, the timeline is as
   * the tasks before it left it: those completed, so its entries are final.
   */
  private currentTask(): number {
    const { historyLength } = workflowInfo();
    if (historyLength !== this.task) {
      this.task = historyLength;
      this.committed = this.timeline.length;
    }
    return historyLength;
  }

  /** Runs in the update validator, with the same rule the projection offers actions by. */
  validate(request: EventRequest): void {
    const verdict = this.machines.eventRefusal(this.pathway, this.snapshot, this.coOwners, request, new Date().toISOString());
    if ('refusal' in verdict) reject(verdict.refusal);
  }

  accept(request: EventRequest): CaseState {
    const definition = this.pathway.events[request.type]!;
    const payload = definition.schema.parse(request.payload);
    // Before the transition, so that the co-owners are published with it and notified of what it notifies.
    if (definition.handsOver) this.handOver((payload as Record<string, unknown>)[definition.handsOver.field]);
    if (definition.handsBack) this.handedOver = this.handedOver.filter((organisation) => organisation !== request.actor.organisation);
    this.apply({ type: request.type, payload, actor: request.actor, at: new Date().toISOString() }, request.actor);
    return this.state();
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

  private apply(event: { type: string; at: string } & Record<string, unknown>, actor?: EventRequest['actor']): void {
    const from = this.stateKey();
    const [snapshot, actions] = this.machines.transition(this.pathway.machine, this.snapshot, event as never);
    this.snapshot = snapshot;
    this.record(event, actor, from, event.at);
    this.execute(actions);
    this.publishSearchAttributes();
  }

  private record(event: { type: string }, actor: EventRequest['actor'] | undefined, from: string, at: string): void {
    this.currentTask();
    this.timeline.push({
      at,
      event: event.type,
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
    this.currentTask();
    this.alerts.push(alert);
    const state = this.stateKey();
    this.timeline.push({ at: alert.at, event: `notification.${alert.kind}`, from: state, to: state });
  }

  private get context(): CaseContext<unknown> {
    return this.snapshot.context as CaseContext<unknown>;
  }

  private stateKey(): string {
    return this.machines.topLevelState(this.snapshot.value);
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

  /** What the case is filed and found by: in Temporal's search attributes and in the record alike. */
  private index(): CaseIndex {
    const deadline = this.nextDeadline();
    return {
      activePaths: this.machines.activePaths(this.snapshot.value),
      pendingRoles: this.pendingRoles(),
      ...(deadline ? { nextDeadline: deadline } : {}),
      organisations: [...(this.coOwners ?? this.pathway.organisations)],
    };
  }

  /** Only kind, version, state, roles, deadline, organisations and reference: Temporal keeps these in plain text. */
  private publishSearchAttributes(): void {
    const index = this.index();
    const updates: SearchAttributeUpdatePair[] = [
      { key: searchAttributes.kind, value: this.pathway.kind },
      { key: searchAttributes.version, value: this.pathway.version },
      { key: searchAttributes.caseRef, value: this.start.caseRef },
      { key: searchAttributes.organisations, value: index.organisations },
      { key: searchAttributes.state, value: index.activePaths },
      { key: searchAttributes.pendingRoles, value: index.pendingRoles },
      { key: searchAttributes.nextDeadline, value: index.nextDeadline ? new Date(index.nextDeadline) : null },
    ];
    const changed = updates.filter(({ key, value }) => {
      const json = JSON.stringify(value);
      if (this.published.get(key.name) === json) return false;
      this.published.set(key.name, json);
      return true;
    });
    if (changed.length) upsertSearchAttributes(changed);
  }

  /** The whole case, for the API's projection of it. */
  state(): CaseState {
    const persisted = this.pathway.machine.getPersistedSnapshot(this.snapshot) as unknown as { value: StateValue; context: CaseContext<unknown> };
    return {
      caseRef: this.start.caseRef,
      kind: this.pathway.kind,
      version: this.pathway.version,
      status: this.done ? 'done' : 'active',
      value: persisted.value,
      context: persisted.context,
      startedAt: this.startedAt,
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
      recorded: this.recorded,
      run: this.run,
    };
  }
}
