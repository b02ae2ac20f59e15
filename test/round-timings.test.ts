import { initialTransition } from 'xstate';
import { describe, expect, it } from 'vitest';
import { addWorkingDays } from '../machines/calendar.js';
import { hello } from '../machines/hello.js';

const friday = '2026-11-20T09:00:00.000Z';
const open = (parameters: Record<string, unknown>) =>
  initialTransition(hello.machine, {
    caseRef: 'RAC-2026-TEST01',
    data: { summary: 'Tempi configurati' },
    startedBy: { id: 'social-worker', role: 'social-worker', organisation: 'municipality' },
    startedAt: friday,
    settings: { calendar: {}, parameters },
  })[0].context.rounds.evaluation!;

describe('round timings from parameters', () => {
  it('override the chart for the round they name, and only the fields they set', () => {
    const round = open({ rounds: { evaluation: { deadlineWorkingDays: 3 } } });
    expect(round.dueAt).toBe(new Date(addWorkingDays(Date.parse(friday), 3, {})).toISOString());
    expect(round.spec.reminders).toEqual(open({}).spec.reminders);
    expect(round.nextReminderAt).toBe(open({}).nextReminderAt);
  });

  it('leave the chart as declared when no parameter names the round', () => {
    expect(open({ rounds: { another: { deadlineWorkingDays: 1 } } }).dueAt).toBe(open({}).dueAt);
    expect(open({}).spec.deadlineWorkingDays).toBe(10);
  });
});
