import { describe, it, expect } from 'vitest';
import {
  addWorkingDays,
  easterSunday,
  isWorkingDay,
  nationalHolidays,
  workingCalendarSchema,
  workingDaysBetween,
  type WorkingCalendar,
} from '../machines/calendar.js';

// Instants are written with their explicit Rome offset (+01:00 CET, +02:00 CEST) so the
// expectations do not depend on the offset logic under test.
const at = (isoWithOffset: string): number => Date.parse(isoWithOffset);
const iso = (epochMs: number): string => new Date(epochMs).toISOString();

const anywhere: WorkingCalendar = {};
const milan: WorkingCalendar = { patronSaintDay: '12-07' };
const rome: WorkingCalendar = { patronSaintDay: '06-29' };

describe('easterSunday', () => {
  it.each([
    [2024, '2024-03-31'],
    [2025, '2025-04-20'],
    [2026, '2026-04-05'],
    [2027, '2027-03-28'],
    [2038, '2038-04-25'],
  ])('Easter %i is %s', (year, expected) => {
    expect(easterSunday(year)).toBe(expected);
  });

  it('rejects years the Gregorian algorithm does not cover', () => {
    expect(() => easterSunday(1500)).toThrow(RangeError);
    expect(() => easterSunday(2026.5)).toThrow(RangeError);
  });
});

describe('nationalHolidays', () => {
  it('lists the 2026 holidays sorted, including Easter Monday and San Francesco', () => {
    expect(nationalHolidays(2026)).toEqual([
      '2026-01-01',
      '2026-01-06',
      '2026-04-05',
      '2026-04-06',
      '2026-04-25',
      '2026-05-01',
      '2026-06-02',
      '2026-08-15',
      '2026-10-04',
      '2026-11-01',
      '2026-12-08',
      '2026-12-25',
      '2026-12-26',
    ]);
  });

  it('does not include 4 October before 2026', () => {
    expect(nationalHolidays(2025)).not.toContain('2025-10-04');
    expect(nationalHolidays(2025)).toHaveLength(12);
  });
});

describe('isWorkingDay', () => {
  it('treats weekends as non-working', () => {
    expect(isWorkingDay('2026-01-17', anywhere)).toBe(false); // Saturday
    expect(isWorkingDay('2026-01-18', anywhere)).toBe(false); // Sunday
    expect(isWorkingDay('2026-01-19', anywhere)).toBe(true); // Monday
  });

  it('treats Easter Monday as a holiday but Good Friday as a working day', () => {
    expect(isWorkingDay('2026-04-06', anywhere)).toBe(false);
    expect(isWorkingDay('2026-04-03', anywhere)).toBe(true);
  });

  it('applies San Francesco (4 October) only from 2026', () => {
    expect(isWorkingDay('2027-10-04', anywhere)).toBe(false); // Monday, holiday
    expect(isWorkingDay('2024-10-04', anywhere)).toBe(true); // Friday, before the law
  });

  it('applies the patron saint day only to its municipality', () => {
    expect(isWorkingDay('2026-12-07', milan)).toBe(false);
    expect(isWorkingDay('2026-12-07', anywhere)).toBe(true);
    expect(isWorkingDay('2026-06-29', rome)).toBe(false);
    expect(isWorkingDay('2026-06-29', milan)).toBe(true);
  });

  it('rejects malformed or non-existent dates', () => {
    expect(() => isWorkingDay('2026-02-30', anywhere)).toThrow(RangeError);
    expect(() => isWorkingDay('26-1-5', anywhere)).toThrow(RangeError);
  });
});

describe('workingCalendarSchema', () => {
  it('accepts a valid patron saint day or none', () => {
    expect(workingCalendarSchema.parse({ patronSaintDay: '12-07' })).toEqual(milan);
    expect(workingCalendarSchema.parse({})).toEqual({});
  });

  it.each(['13-40', '02-30', '00-10', '1207', '12-7'])('rejects patron saint day %s', (patronSaintDay) => {
    expect(workingCalendarSchema.safeParse({ patronSaintDay }).success).toBe(false);
  });
});

describe('addWorkingDays', () => {
  it('keeps the Rome wall-clock time and skips the weekend', () => {
    const fridayAfternoon = at('2026-01-16T15:00:00+01:00');
    expect(iso(addWorkingDays(fridayAfternoon, 1, anywhere))).toBe(iso(at('2026-01-19T15:00:00+01:00')));
  });

  it('counts from the following days when starting on a weekend', () => {
    const saturdayMorning = at('2026-01-17T10:00:00+01:00');
    expect(iso(addWorkingDays(saturdayMorning, 1, anywhere))).toBe(iso(at('2026-01-19T10:00:00+01:00')));
  });

  it('uses the Rome date, not the UTC date, of the start', () => {
    // 23:30 UTC on Friday is already 00:30 on Saturday in Rome.
    const saturdayJustAfterMidnight = at('2026-01-17T00:30:00+01:00');
    expect(iso(addWorkingDays(saturdayJustAfterMidnight, 1, anywhere))).toBe(iso(at('2026-01-19T00:30:00+01:00')));
  });

  it('skips Easter Monday', () => {
    const goodFriday = at('2026-04-03T10:00:00+02:00');
    expect(iso(addWorkingDays(goodFriday, 1, anywhere))).toBe(iso(at('2026-04-07T10:00:00+02:00')));
  });

  it('skips the patron saint day and the Immacolata in Milan only', () => {
    const friday = at('2026-12-04T12:00:00+01:00');
    expect(iso(addWorkingDays(friday, 1, milan))).toBe(iso(at('2026-12-09T12:00:00+01:00')));
    expect(iso(addWorkingDays(friday, 1, anywhere))).toBe(iso(at('2026-12-07T12:00:00+01:00')));
    expect(iso(addWorkingDays(friday, 2, anywhere))).toBe(iso(at('2026-12-09T12:00:00+01:00')));
  });

  it('keeps 09:00 Rome across the switch to summer time', () => {
    const friday = at('2026-03-27T09:00:00+01:00');
    expect(iso(friday)).toBe('2026-03-27T08:00:00.000Z');
    expect(iso(addWorkingDays(friday, 1, anywhere))).toBe('2026-03-30T07:00:00.000Z');
  });

  it('keeps 09:00 Rome across the switch back to winter time', () => {
    const friday = at('2026-10-23T09:00:00+02:00');
    expect(iso(addWorkingDays(friday, 1, anywhere))).toBe('2026-10-26T08:00:00.000Z');
  });

  it('skips Christmas, Santo Stefano and New Year', () => {
    expect(iso(addWorkingDays(at('2026-12-24T09:00:00+01:00'), 1, anywhere))).toBe(iso(at('2026-12-28T09:00:00+01:00')));
    expect(iso(addWorkingDays(at('2025-12-24T09:00:00+01:00'), 1, anywhere))).toBe(iso(at('2025-12-29T09:00:00+01:00')));
    expect(iso(addWorkingDays(at('2025-12-31T09:00:00+01:00'), 1, anywhere))).toBe(iso(at('2026-01-02T09:00:00+01:00')));
  });

  it('returns the input for 0 days', () => {
    const saturday = at('2026-01-17T10:00:00+01:00');
    expect(addWorkingDays(saturday, 0, anywhere)).toBe(saturday);
  });

  it.each([-1, 1.5, Number.NaN])('rejects %s days with a RangeError', (days) => {
    expect(() => addWorkingDays(at('2026-01-16T15:00:00+01:00'), days, anywhere)).toThrow(RangeError);
  });
});

describe('workingDaysBetween', () => {
  const fridayAfternoon = at('2026-01-16T15:00:00+01:00');

  it('counts working days after the start date up to and including the end date', () => {
    expect(workingDaysBetween(fridayAfternoon, at('2026-01-19T08:00:00+01:00'), anywhere)).toBe(1);
    expect(workingDaysBetween(fridayAfternoon, at('2026-01-23T18:00:00+01:00'), anywhere)).toBe(5);
  });

  it('is 0 on the same date or when the end is earlier', () => {
    expect(workingDaysBetween(fridayAfternoon, at('2026-01-16T23:59:00+01:00'), anywhere)).toBe(0);
    expect(workingDaysBetween(fridayAfternoon, at('2026-01-18T12:00:00+01:00'), anywhere)).toBe(0);
    expect(workingDaysBetween(fridayAfternoon, at('2026-01-10T12:00:00+01:00'), anywhere)).toBe(0);
  });

  it('does not count holidays or the patron saint day', () => {
    const friday = at('2026-12-04T12:00:00+01:00');
    const nextFriday = at('2026-12-11T12:00:00+01:00');
    expect(workingDaysBetween(friday, nextFriday, anywhere)).toBe(4);
    expect(workingDaysBetween(friday, nextFriday, milan)).toBe(3);
  });

  it('measures exactly the deadline that addWorkingDays sets', () => {
    const start = at('2026-03-20T16:45:00+01:00');
    for (const days of [1, 5, 10, 30, 60]) {
      expect(workingDaysBetween(start, addWorkingDays(start, days, milan), milan)).toBe(days);
    }
  });
});
