import { describe, expect, it } from 'vitest';
import { hiddenFields, redactCaseData } from '../api/access.js';
import { hello } from '../machines/hello.js';
import { jobPlacement } from '../machines/job-placement.js';

const referral = {
  person: { fullName: 'Luca Verdi', fiscalCode: 'VRDLCU80A01F205X' },
  diagnosisCategory: 'addiction',
  invalidityPercent: 50,
  judicialMeasure: { measure: 'probation', probationContact: 'UEPE Milano', restrictions: 'rientro serale' },
  skills: 'magazzino',
};

describe('need-to-know redaction', () => {
  it('leaves out the diagnosis, invalidity and judicial measure for the host company, and nothing for the social worker', () => {
    expect(hiddenFields(jobPlacement, 'host-company')).toEqual(
      expect.arrayContaining(['diagnosisCategory', 'invalidityPercent', 'judicialMeasure', 'employmentCentreRegistered']),
    );
    const forHost = redactCaseData(jobPlacement, 'host-company', referral);
    expect(forHost).toEqual({ person: referral.person, skills: 'magazzino' });
    expect(JSON.stringify(forHost)).not.toMatch(/addiction|UEPE|probation|50/);
    expect(redactCaseData(jobPlacement, 'social-worker', referral)).toEqual(referral);
  });

  it('hides without a trace: the result has the shape of a form where those fields were never filled in', () => {
    const neverFilled = { person: referral.person, skills: 'magazzino' };
    expect(redactCaseData(jobPlacement, 'host-company', referral)).toEqual(redactCaseData(jobPlacement, 'host-company', neverFilled));
  });

  it('changes nothing for a pathway without restrictions', () => {
    expect(hiddenFields(hello, 'nurse')).toEqual([]);
  });
});
