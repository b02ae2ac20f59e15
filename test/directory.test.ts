import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDirectory, loadDirectory, type Organisation } from '../platform/directory.js';
import { testConfig } from './support/harness.js';

const organisation = (id: string, type: string, territory: string[]): Organisation => ({ id, name: id, type, territory });

describe('the register of organisations', () => {
  it('makes partners of the organisations of the asked types that share an area, or serve every area', () => {
    const directory = createDirectory({
      organisations: [
        organisation('comune-nord', 'municipality', ['ambito-nord']),
        organisation('asst-nord', 'health-authority', ['ambito-nord', 'ambito-est']),
        organisation('asst-sud', 'health-authority', ['ambito-sud']),
        organisation('cav-est', 'cav', ['ambito-est']),
        organisation('regione', 'health-authority', ['*']),
      ],
      operators: [],
    });
    const partners = (id: string, types: string[]) => directory.partnersOf(directory.organisation(id)!, types).map((partner) => partner.id);
    expect(partners('comune-nord', ['health-authority', 'cav'])).toEqual(['asst-nord', 'regione']);
    expect(partners('asst-nord', ['cav', 'municipality'])).toEqual(['comune-nord', 'cav-est']);
    expect(partners('asst-sud', ['municipality', 'cav'])).toEqual([]);
  });

  it('refuses at start a directory whose operator belongs to no registered organisation, naming both', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'raccordo-directory-')), 'directory.json');
    writeFileSync(
      file,
      JSON.stringify({
        organisations: [organisation('asst-nord', 'health-authority', ['ambito-nord'])],
        operators: [{ id: 'dr-verdi', name: 'Medico', email: 'medico@asst.example', roles: ['physician'], organisation: 'asst-nrod' }],
      }),
    );
    expect(() => loadDirectory(testConfig({ RACCORDO_DIRECTORY_FILE: file }))).toThrow(
      /operators\.0\.organisation: L’operatore dr-verdi appartiene a un’organizzazione non registrata: asst-nrod/,
    );
    writeFileSync(file, JSON.stringify([{ id: 'dr-verdi', name: 'Medico', email: 'medico@asst.example', roles: ['physician'], organisation: 'asst-nord' }]));
    expect(() => loadDirectory(testConfig({ RACCORDO_DIRECTORY_FILE: file }))).toThrow(/RACCORDO_DIRECTORY_FILE .* is invalid/);
  });
});
