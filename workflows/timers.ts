import { CancellationScope, isCancellation, sleep } from '@temporalio/workflow';
import type { PendingTimer } from './messages.js';

/** A durable timer for `dueAt`, cancelled through the scope it returns; `fired` gets that scope when it fires. */
function startTimer(dueAt: number, fired: (scope: CancellationScope) => void): CancellationScope {
  const scope = new CancellationScope();
  scope
    .run(() => sleep(Math.max(0, dueAt - Date.now())))
    .then(
      () => fired(scope),
      (error: unknown) => {
        if (!isCancellation(error)) throw error;
      },
    );
  return scope;
}

/** The chart's pending delayed events (reminders, escalations, deadlines), each with its absolute due time. */
export interface DelayedEvents {
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
export class OneAlarm implements DelayedEvents {
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
export class TimerPerEvent implements DelayedEvents {
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
