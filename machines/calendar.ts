/**
 * Italian working-day calendar for deadlines expressed in "giorni lavorativi".
 *
 * This module runs inside Temporal's deterministic workflow sandbox, so it is
 * pure: no Intl, no clock, no I/O. Europe/Rome is implemented by hand from the
 * EU summer-time rule (in force since 1996), because tz data is not available
 * in the sandbox and must not change under a running workflow.
 *
 * Internally a local date is a "day number": whole days since 1970-01-01 on the
 * Rome wall calendar, which makes day-by-day iteration plain integer arithmetic.
 */
import { z } from 'zod';

const MS_PER_DAY = 86_400_000;
const MS_PER_HOUR = 3_600_000;

const FIXED_NATIONAL_HOLIDAYS = [
  '01-01', // Capodanno
  '01-06', // Epifania
  '04-25', // Liberazione
  '05-01', // Festa del lavoro
  '06-02', // Festa della Repubblica
  '08-15', // Ferragosto
  '11-01', // Ognissanti
  '12-08', // Immacolata
  '12-25', // Natale
  '12-26', // Santo Stefano
] as const;

/** San Francesco d'Assisi is a national holiday again only from 2026 (Law 151/2025). */
const SAN_FRANCESCO = '10-04';
const SAN_FRANCESCO_FIRST_YEAR = 2026;

// February allows 29 so a patron day of 02-29 is accepted; it only matches in leap years.
const MAX_DAY_OF_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

function isRealMonthDay(monthDay: string): boolean {
  const month = Number(monthDay.slice(0, 2));
  const day = Number(monthDay.slice(3, 5));
  const maxDay = MAX_DAY_OF_MONTH[month - 1];
  return maxDay !== undefined && day >= 1 && day <= maxDay;
}

/** Per-municipality configuration: the patron saint's day is a local holiday on top of the national ones. */
export const workingCalendarSchema = z.object({
  patronSaintDay: z
    .string()
    .regex(/^\d{2}-\d{2}$/, 'MM-DD')
    .refine(isRealMonthDay, 'patronSaintDay must be an existing month and day (MM-DD)')
    .optional(),
});

/** Validated calendar configuration, e.g. `{ patronSaintDay: '12-07' }` for Milan. */
export type WorkingCalendar = z.infer<typeof workingCalendarSchema>;

// The Gregorian Easter algorithm holds from 1583; beyond 9999 ISO dates need a sign and 6 digits.
function assertGregorianYear(year: number): void {
  if (!Number.isInteger(year) || year < 1583 || year > 9999) {
    throw new RangeError(`year must be an integer between 1583 and 9999, got ${year}`);
  }
}

function assertFinite(value: number, name: string): void {
  if (!Number.isFinite(value)) throw new RangeError(`${name} must be a finite number, got ${value}`);
}

function isoDateOfDayNumber(dayNumber: number): string {
  return new Date(dayNumber * MS_PER_DAY).toISOString().slice(0, 10);
}

function dayNumberOfIsoDate(localDate: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(localDate);
  const dayNumber = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) / MS_PER_DAY : NaN;
  // Date.UTC silently rolls 2026-02-30 over to March; the round trip catches that.
  if (Number.isNaN(dayNumber) || isoDateOfDayNumber(dayNumber) !== localDate) {
    throw new RangeError(`Expected an existing date as YYYY-MM-DD, got '${localDate}'`);
  }
  return dayNumber;
}

function lastSundayOfMonth(year: number, monthIndex: number): number {
  const lastDayOfMonth = new Date(Date.UTC(year, monthIndex + 1, 0));
  return lastDayOfMonth.getUTCDate() - lastDayOfMonth.getUTCDay();
}

/** Offset of Europe/Rome from UTC at an instant: CEST between the EU switch instants (01:00 UTC), else CET. */
function romeOffsetMs(epochMs: number): number {
  const year = new Date(epochMs).getUTCFullYear();
  const summerStart = Date.UTC(year, 2, lastSundayOfMonth(year, 2), 1);
  const summerEnd = Date.UTC(year, 9, lastSundayOfMonth(year, 9), 1);
  return epochMs >= summerStart && epochMs < summerEnd ? 2 * MS_PER_HOUR : MS_PER_HOUR;
}

function toRomeLocal(epochMs: number): { dayNumber: number; timeOfDayMs: number } {
  const localMs = epochMs + romeOffsetMs(epochMs);
  const dayNumber = Math.floor(localMs / MS_PER_DAY);
  return { dayNumber, timeOfDayMs: localMs - dayNumber * MS_PER_DAY };
}

/**
 * Uses the offset in force at the day's local midnight for the whole day. Switches happen at
 * 01:00 UTC, so 00:00 UTC of a local date always still has its midnight offset. On a switch day
 * this moves a skipped time forward and picks the first of two repeated times (like Temporal's
 * "compatible" disambiguation); switches fall on Sundays, so working days never hit this.
 */
function fromRomeLocal(dayNumber: number, timeOfDayMs: number): number {
  const dayStartUtcMs = dayNumber * MS_PER_DAY;
  return dayStartUtcMs + timeOfDayMs - romeOffsetMs(dayStartUtcMs);
}

/** Easter drives the one movable national holiday (Easter Monday); anonymous Gregorian algorithm. */
export function easterSunday(year: number): string {
  assertGregorianYear(year);
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return isoDateOfDayNumber(Date.UTC(year, month - 1, day) / MS_PER_DAY);
}

/** Holidays valid everywhere in Italy for a year, as sorted YYYY-MM-DD; patron saint days are not included. */
export function nationalHolidays(year: number): string[] {
  assertGregorianYear(year);
  const easter = easterSunday(year);
  const easterMonday = isoDateOfDayNumber(dayNumberOfIsoDate(easter) + 1);
  const fixedMonthDays: readonly string[] = year >= SAN_FRANCESCO_FIRST_YEAR ? [...FIXED_NATIONAL_HOLIDAYS, SAN_FRANCESCO] : FIXED_NATIONAL_HOLIDAYS;
  return [...fixedMonthDays.map((monthDay) => `${year}-${monthDay}`), easter, easterMonday].sort();
}

function isWorkingDayNumber(dayNumber: number, calendar: WorkingCalendar): boolean {
  const weekday = new Date(dayNumber * MS_PER_DAY).getUTCDay();
  if (weekday === 0 || weekday === 6) return false;
  const localDate = isoDateOfDayNumber(dayNumber);
  if (localDate.slice(5) === calendar.patronSaintDay) return false;
  return !nationalHolidays(Number(localDate.slice(0, 4))).includes(localDate);
}

/** Whether offices are open on a Rome calendar date (YYYY-MM-DD) in this municipality; throws RangeError on a malformed date. */
export function isWorkingDay(localDate: string, calendar: WorkingCalendar): boolean {
  return isWorkingDayNumber(dayNumberOfIsoDate(localDate), calendar);
}

/**
 * Deadline "N working days after" an instant: same Rome wall-clock time on the Nth working day after
 * the start's local date, counting from the next day even when the start itself is not a working day.
 */
export function addWorkingDays(fromEpochMs: number, days: number, calendar: WorkingCalendar): number {
  assertFinite(fromEpochMs, 'fromEpochMs');
  if (!Number.isInteger(days) || days < 0) {
    throw new RangeError(`days must be a non-negative integer, got ${days}`);
  }
  if (days === 0) return fromEpochMs;
  const start = toRomeLocal(fromEpochMs);
  let dayNumber = start.dayNumber;
  let remaining = days;
  while (remaining > 0) {
    dayNumber += 1;
    if (isWorkingDayNumber(dayNumber, calendar)) remaining -= 1;
  }
  return fromRomeLocal(dayNumber, start.timeOfDayMs);
}

/**
 * Working days elapsed, e.g. "overdue by N working days": counts Rome local dates strictly after the
 * start's date up to and including the end's date; 0 when the end is not on a later date.
 */
export function workingDaysBetween(fromEpochMs: number, toEpochMs: number, calendar: WorkingCalendar): number {
  assertFinite(fromEpochMs, 'fromEpochMs');
  assertFinite(toEpochMs, 'toEpochMs');
  const fromDay = toRomeLocal(fromEpochMs).dayNumber;
  const toDay = toRomeLocal(toEpochMs).dayNumber;
  let count = 0;
  for (let dayNumber = fromDay + 1; dayNumber <= toDay; dayNumber += 1) {
    if (isWorkingDayNumber(dayNumber, calendar)) count += 1;
  }
  return count;
}
