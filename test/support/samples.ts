/** Sample data that several tests send: one definition, so that a change to a pathway's form is made once. */

/** The person a job-placement referral is about: tests check that no message ever names them. */
export const referredPerson = { fullName: 'Davide Conti', fiscalCode: 'CNTDVD85M12F205Z' };

/** A TIS referral from the SerD, followed by its social worker, under a judicial measure. */
export const serdReferral = (tisMonthsUsed: number) => ({
  person: referredPerson,
  referringService: 'addiction-service',
  caseManager: { name: 'Laura Bianchi', role: 'social-worker' },
  route: 'inclusion-internship',
  alreadyInCharge: true,
  inChargeSince: '2025-06-01',
  tisMonthsUsed,
  diagnosisCategory: 'substance-use',
  judicialMeasure: { measure: 'probation-to-social-services', probationContact: 'Dott. Rossi, UEPE di Milano', restrictions: 'Rientro entro le 22' },
  skills: 'Magazzino, patente B',
  isee: 6200,
  monthlyAllowance: 400,
});

/** A demo hospital's pending discharge of a homeless patient, three days ahead. */
export const hospitalDischargeSignal = (encounterId: string, overrides: Record<string, unknown> = {}) => ({
  hospital: 'demo-hospital',
  encounterId,
  event: 'pending-discharge',
  plannedDischargeAt: new Date(Date.now() + 72 * 3_600_000).toISOString(),
  ward: { unit: 'Medicina generale' },
  patient: { familyName: 'Bianchi', givenName: 'Carla' },
  homeless: true,
  ...overrides,
});
