import { describe, expect, it } from 'vitest';
import type { Actor } from '../machines/case.js';
import { resumeDeadline, startDeadline, suspendDeadline, type DeadlineSpec } from '../machines/deadline.js';
import {
  assertValidRoundSpec,
  claimRole,
  openRound,
  pendingRoles,
  recordDecision,
  rolesToAsk,
  roundOutcome,
  signingRole,
  type RoundSpec,
  type SignoffDecision,
  type SignoffRound,
} from '../machines/signoff.js';

// Friday 6 March 2026, 09:00 in Rome (CET, +01:00): the next working days are Monday 9 and Tuesday 10.
const friday = Date.parse('2026-03-06T09:00:00+01:00');
const HOUR = 3_600_000;
const WEEK = 7 * 24 * HOUR;
const at = (isoWithOffset: string) => new Date(Date.parse(isoWithOffset)).toISOString();
const anywhere = {};

const actor = (role: string, id = `op-${role}`): Actor => ({ id, role, organisation: 'health-authority' });

const spec = (overrides: Partial<RoundSpec> = {}): RoundSpec => ({
  id: 'evaluation',
  label: 'Valutazione congiunta',
  roles: ['physician', 'social-worker'],
  quorum: 'all',
  deadlineWorkingDays: 10,
  reminders: { firstAfterWorkingDays: 2, repeatEveryWorkingDays: 2, escalateAfterWorkingDays: 5 },
  ...overrides,
});

/** The round after each role in turn decided, each signing for itself. */
function decided(round: SignoffRound, decisions: Record<string, SignoffDecision>): SignoffRound {
  return Object.entries(decisions).reduce(
    (current, [role, decision]) => recordDecision(current, actor(role), { round: current.spec.id, decision }, at('2026-03-06T10:00:00+01:00')),
    round,
  );
}

describe('roundOutcome', () => {
  describe('quorum all', () => {
    const round = openRound(spec(), friday, anywhere);

    it('stays open while approval is still possible', () => {
      expect(roundOutcome(round)).toBeUndefined();
      expect(roundOutcome(decided(round, { physician: 'approve' }))).toBeUndefined();
    });

    it('approves when every role approved', () => {
      expect(roundOutcome(decided(round, { physician: 'approve', 'social-worker': 'approve' }))).toBe('approved');
    });

    it('rejects at the first rejection, without waiting for the others', () => {
      expect(roundOutcome(decided(round, { physician: 'reject' }))).toBe('rejected');
    });

    it('asks for changes at the first request for changes, when nobody rejected', () => {
      expect(roundOutcome(decided(round, { 'social-worker': 'request-changes' }))).toBe('changes-requested');
    });
  });

  describe('quorum { atLeast: 2 } of 3', () => {
    const round = openRound(spec({ roles: ['physician', 'social-worker', 'psychologist'], quorum: { atLeast: 2 } }), friday, anywhere);

    it('approves as soon as two approved, without the third', () => {
      const twoApproved = decided(round, { physician: 'approve', psychologist: 'approve' });
      expect(pendingRoles(twoApproved)).toEqual(['social-worker']);
      expect(roundOutcome(twoApproved)).toBe('approved');
    });

    it('still approves after one rejection when two approve', () => {
      expect(roundOutcome(decided(round, { physician: 'reject', 'social-worker': 'approve' }))).toBeUndefined();
      expect(roundOutcome(decided(round, { physician: 'reject', 'social-worker': 'approve', psychologist: 'approve' }))).toBe('approved');
    });

    it('rejects once two approvals are no longer possible', () => {
      expect(roundOutcome(decided(round, { physician: 'reject' }))).toBeUndefined();
      expect(roundOutcome(decided(round, { physician: 'reject', psychologist: 'request-changes' }))).toBe('rejected');
    });

    it('asks for changes when approval is impossible and nobody rejected', () => {
      expect(roundOutcome(decided(round, { physician: 'request-changes', psychologist: 'request-changes' }))).toBe('changes-requested');
    });
  });
});

describe('signingRole', () => {
  const round = openRound(spec({ substitutes: { physician: ['nurse'] } }), friday, anywhere);

  it('counts an evaluator for its own role', () => {
    expect(signingRole(round, actor('physician'), { round: 'evaluation', decision: 'approve' })).toBe('physician');
  });

  it('lets an allowed substitute sign on behalf of a pending role, and records it as a substitute', () => {
    const payload = { round: 'evaluation', decision: 'approve', onBehalfOf: 'physician' } as const;
    expect(signingRole(round, actor('nurse'), payload)).toBe('physician');
    expect(recordDecision(round, actor('nurse'), payload, at('2026-03-06T10:00:00+01:00')).decisions.physician).toMatchObject({
      signedBy: 'op-nurse',
      signedByRole: 'nurse',
      substitute: true,
    });
  });

  it('refuses a substitution the round does not allow', () => {
    expect(signingRole(round, actor('nurse'), { round: 'evaluation', decision: 'approve', onBehalfOf: 'social-worker' })).toBeUndefined();
    expect(signingRole(round, actor('social-worker'), { round: 'evaluation', decision: 'approve', onBehalfOf: 'physician' })).toBeUndefined();
  });

  it('refuses a role that is not in the round, and a role that already decided', () => {
    expect(signingRole(round, actor('nurse'), { round: 'evaluation', decision: 'approve' })).toBeUndefined();
    const signed = decided(round, { physician: 'approve' });
    expect(signingRole(signed, actor('physician', 'op-other-physician'), { round: 'evaluation', decision: 'reject' })).toBeUndefined();
    expect(signingRole(signed, actor('nurse'), { round: 'evaluation', decision: 'reject', onBehalfOf: 'physician' })).toBeUndefined();
  });
});

describe('one person in a round', () => {
  const round = openRound(spec({ substitutes: { physician: ['social-worker'] } }), friday, anywhere);
  const sw = actor('social-worker');
  const approve = { round: 'evaluation', decision: 'approve' } as const;

  it('signs once: the same operator cannot then sign again for another role', () => {
    const signed = recordDecision(round, sw, approve, at('2026-03-06T10:00:00+01:00'));
    expect(signingRole(signed, sw, { ...approve, onBehalfOf: 'physician' })).toBeUndefined();
    expect(roundOutcome(recordDecision(signed, sw, { ...approve, onBehalfOf: 'physician' }, at('2026-03-06T11:00:00+01:00')))).toBeUndefined();
  });

  it('may claim the task of the role it substitutes', () => {
    const claimed = claimRole(round, sw, { round: 'evaluation', onBehalfOf: 'physician' });
    expect(claimed.assignees).toEqual({ physician: 'op-social-worker' });
    expect(claimRole(round, actor('nurse'), { round: 'evaluation', onBehalfOf: 'physician' }).assignees).toEqual({});
  });
});

describe('a party with no account', () => {
  const round = openRound(spec({ roles: ['social-worker', 'trainee'], recordedBy: { trainee: ['social-worker'] } }), friday, anywhere);
  const sw = actor('social-worker');

  it('is asked through the roles that record its signature', () => {
    expect(rolesToAsk(round, round.spec.roles)).toEqual(['social-worker']);
  });

  it('has its signature recorded by an operator who may still sign in their own role', () => {
    const recorded = recordDecision(round, sw, { round: 'evaluation', decision: 'approve', onBehalfOf: 'trainee' }, at('2026-03-06T10:00:00+01:00'));
    expect(recorded.decisions.trainee).toMatchObject({ signedBy: 'op-social-worker', recorded: true, substitute: false });
    expect(signingRole(recorded, sw, { round: 'evaluation', decision: 'approve' })).toBe('social-worker');
    expect(signingRole(round, actor('nurse'), { round: 'evaluation', decision: 'approve', onBehalfOf: 'trainee' })).toBeUndefined();
  });
});

describe('a round that could never close as intended', () => {
  it('is refused when the chart is defined', () => {
    expect(() => assertValidRoundSpec(spec({ quorum: { atLeast: 3 } }))).toThrow('a quorum of 3 out of 2 roles');
    expect(() => assertValidRoundSpec(spec({ substitutes: { psychologist: ['nurse'] } }))).toThrow('psychologist, who is not in the round');
    expect(() => assertValidRoundSpec(spec({ deadlineWorkingDays: 3 }))).toThrow('escalation after the deadline');
    expect(() => assertValidRoundSpec(spec({ quorum: { atLeast: 2 } }))).not.toThrow();
  });
});

describe('a round opened again', () => {
  it('keeps the decisions of its earlier sitting on record', () => {
    const first = { ...decided(openRound(spec(), friday, anywhere), { physician: 'request-changes' }), closedAt: at('2026-03-06T12:00:00+01:00') };
    const second = openRound(spec(), friday + WEEK, anywhere, first);
    expect(second.decisions).toEqual({});
    expect(second.earlier).toEqual([expect.objectContaining({ decisions: { physician: expect.objectContaining({ decision: 'request-changes' }) } })]);
  });
});

describe('openRound', () => {
  it('counts the deadline, first reminder and escalation in working days, skipping the weekend', () => {
    const round = openRound(
      spec({ deadlineWorkingDays: 2, reminders: { firstAfterWorkingDays: 1, repeatEveryWorkingDays: 1, escalateAfterWorkingDays: 2 } }),
      friday,
      anywhere,
    );
    expect(round).toMatchObject({
      openedAt: at('2026-03-06T09:00:00+01:00'),
      nextReminderAt: at('2026-03-09T09:00:00+01:00'), // Monday
      escalateAt: at('2026-03-10T09:00:00+01:00'), // Tuesday
      dueAt: at('2026-03-10T09:00:00+01:00'),
      escalated: false,
      decisions: {},
      assignees: {},
    });
  });

  it('skips holidays too: from Good Friday, one working day is the Tuesday after Easter Monday', () => {
    const round = openRound(spec({ deadlineWorkingDays: 1 }), Date.parse('2026-04-03T09:00:00+02:00'), anywhere);
    expect(round.dueAt).toBe(at('2026-04-07T09:00:00+02:00'));
  });
});

describe('deadline clock', () => {
  const inHours: DeadlineSpec = { id: 'protection', label: 'Misure di protezione', length: { hours: 72 } };
  const inWorkingDays: DeadlineSpec = { id: 'procedure', label: 'Termine del procedimento', length: { workingDays: 10 } };

  it('counts hours around the clock, weekends included', () => {
    expect(startDeadline(inHours, friday, anywhere)).toEqual({
      spec: inHours,
      startedAt: at('2026-03-06T09:00:00+01:00'),
      dueAt: at('2026-03-09T09:00:00+01:00'),
    });
  });

  it('counts working days on the calendar', () => {
    expect(startDeadline(inWorkingDays, friday, anywhere).dueAt).toBe(at('2026-03-20T09:00:00+01:00'));
  });

  it('does not count a week of suspension: working days remaining are preserved', () => {
    const running = startDeadline(inWorkingDays, friday, anywhere);
    const suspended = suspendDeadline(running, Date.parse('2026-03-09T09:00:00+01:00'), anywhere);
    // Tuesday 10 to Friday 13, Monday 16 to Friday 20.
    expect(suspended).toMatchObject({ suspendedAt: at('2026-03-09T09:00:00+01:00'), remaining: 9, dueAt: running.dueAt });
    const resumed = resumeDeadline(suspended, Date.parse('2026-03-16T09:00:00+01:00'), anywhere);
    expect(resumed.dueAt).toBe(at('2026-03-27T09:00:00+01:00'));
    expect(Date.parse(resumed.dueAt) - Date.parse(running.dueAt)).toBe(WEEK);
    expect(resumed).not.toHaveProperty('suspendedAt');
    expect(resumed).not.toHaveProperty('remaining');
  });

  it('does not count a week of suspension: hours remaining are preserved', () => {
    const running = startDeadline(inHours, friday, anywhere);
    const suspended = suspendDeadline(running, friday + 24 * HOUR, anywhere);
    expect(suspended.remaining).toBe(48);
    const resumed = resumeDeadline(suspended, friday + 24 * HOUR + WEEK, anywhere);
    expect(Date.parse(resumed.dueAt) - Date.parse(running.dueAt)).toBe(WEEK);
  });

  it('ignores a second suspension, so the first suspension time is the one that counts', () => {
    const suspended = suspendDeadline(startDeadline(inWorkingDays, friday, anywhere), Date.parse('2026-03-09T09:00:00+01:00'), anywhere);
    expect(suspendDeadline(suspended, Date.parse('2026-03-12T09:00:00+01:00'), anywhere)).toBe(suspended);
  });

  it('ignores resuming a running clock, and both on a stopped one', () => {
    const running = startDeadline(inWorkingDays, friday, anywhere);
    expect(resumeDeadline(running, friday + WEEK, anywhere)).toBe(running);
    const stopped = { ...running, stoppedAt: at('2026-03-09T09:00:00+01:00') };
    expect(suspendDeadline(stopped, friday + WEEK, anywhere)).toBe(stopped);
  });

  it('gives at least one working day after resuming, even when it was suspended on its last day', () => {
    const running = startDeadline({ ...inWorkingDays, length: { workingDays: 1 } }, friday, anywhere);
    const suspended = suspendDeadline(running, Date.parse('2026-03-09T08:00:00+01:00'), anywhere);
    expect(suspended.remaining).toBe(0);
    expect(resumeDeadline(suspended, Date.parse('2026-03-16T08:00:00+01:00'), anywhere).dueAt).toBe(at('2026-03-17T08:00:00+01:00'));
  });
});
