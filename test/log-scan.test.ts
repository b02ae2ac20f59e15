import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { jobPlacement } from '../machines/job-placement.js';
import { describeFinding, findSeededValues, seededValues, sensitiveValuesOf } from './support/log-scan.js';
import { samples, serdReferral } from './support/samples.js';

const directory = mkdtempSync(join(tmpdir(), 'raccordo-log-scan-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function log(name: string, lines: string[]): string {
  const file = join(directory, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

const valuesOf = (name: string) => sensitiveValuesOf(samples.find((sample) => sample.name === name)!).map((seeded) => seeded.value);

describe('the personal values of the samples', () => {
  it('are the text of every field marked sensitive, from the schema the sample is sent as', () => {
    expect(valuesOf('job-placement referral').sort()).toEqual(
      [
        'Davide Conti',
        'CNTDVD85M12F205Z',
        'substance-use',
        'probation-to-social-services',
        'Dott. Rossi, UEPE di Milano',
        'Rientro entro le 22',
        'Magazzino, patente B',
      ].sort(),
    );
    expect(valuesOf('HL7 ADT patient')).toEqual(expect.arrayContaining(['Rossi', 'Mario', '1980-01-01', 'Milano', 'RSSMRA80A01F205X', 'STP0170010000123']));
  });

  it('leave out what is not about the person, and codes of a closed choice that identify nobody', () => {
    const homeless = valuesOf('homeless-discharge referral');
    expect(homeless).toEqual(expect.arrayContaining(['Bianchi', 'Giuseppe', '1968-04-12', 'Terapia antibiotica orale per sette giorni']));
    // The ward is no personal data; "none" (no residence) and "identity-card" name nobody; numbers and flags are no text.
    for (const absent of ['Medicina d’urgenza', '030 3995111', 'none', 'identity-card', 'not-required']) expect(homeless).not.toContain(absent);
    // An art. 9 code, though, tells a health condition.
    expect(homeless).toContain('self-sufficient');
  });

  it('follow sensitivity down nested objects, arrays and unions', () => {
    const schema = z.object({
      plain: z.string(),
      people: z.array(z.object({ name: z.string() })).meta({ sensitive: 'personal' }),
      either: z.union([z.object({ note: z.string() }), z.object({ other: z.string() })]).meta({ sensitive: 'special-category' }),
    });
    const found = sensitiveValuesOf({ name: 'nested', schema, data: { plain: 'Pubblico', people: [{ name: 'Anna Neri' }], either: { note: 'Diabete' } } });
    expect(found).toEqual([
      { value: 'Anna Neri', source: 'nested: people[].name' },
      { value: 'Diabete', source: 'nested: either.note' },
    ]);
  });

  it('hold every sample of the suite, each value once', () => {
    const all = seededValues(samples).map((seeded) => seeded.value);
    expect(all).toEqual(expect.arrayContaining(['Davide Conti', 'Viola Esposito', 'Giulia Ferrari', 'Carla', 'Mario Rossi, via Roma 1']));
    expect(new Set(all.map((value) => value.toLowerCase())).size).toBe(all.length);
    // The job-placement sample is the one tests send, whatever months of TIS they give it.
    expect(jobPlacement.startSchema.safeParse(serdReferral(6)).success).toBe(true);
  });
});

describe('the scan of the logs', () => {
  const seeded = seededValues(samples);

  it('finds a seeded value on its line, in any case, and names file, line and value, not the rest of the line', () => {
    const api = log('api.log', [
      '{"level":30,"msg":"incoming request","req":{"url":"/api/cases/INL-2026-ABC123"}}',
      '{"level":30,"msg":"case started","data":{"person":{"fullName":"Davide Conti"}}}',
    ]);
    const hl7 = log('hl7.log', ['PID|1||RSSMRA80A01F205X^^^MEF^NNITA||ROSSI^MARIO']);
    const findings = findSeededValues([api, hl7], seeded);
    expect(findings.map(({ file, line, seeded: { value } }) => [file, line, value])).toEqual([
      [api, 2, 'Davide Conti'],
      [hl7, 1, 'RSSMRA80A01F205X'],
      [hl7, 1, 'Rossi'],
      [hl7, 1, 'Mario'],
    ]);
    const described = describeFinding(findings[0]!);
    expect(described).toBe(`${api}:2: "Davide Conti" (job-placement referral: person.fullName)`);
    expect(described).not.toContain('case started');
  });

  it('matches whole words only, and passes clean logs', () => {
    const clean = log('clean.log', [
      '{"level":30,"msg":"prossimo sollecito programmato","caseRef":"DSD-2026-MARIOS"}',
      '2026-03-02T09:00:00.000Z [WARN] Workflow task failed {"workflowId":"INL-2026-ABC123"}',
    ]);
    expect(findSeededValues([clean], seeded)).toEqual([]);
  });
});
