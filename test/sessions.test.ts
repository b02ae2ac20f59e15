import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SessionStore } from '../api/sessions.js';

const fileIn = () => join(mkdtempSync(join(tmpdir(), 'raccordo-session-store-')), 'sessions.jsonl');
const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean);

describe('the session file', () => {
  it('stays about as long as the live sessions, however long they are used', () => {
    const file = fileIn();
    const store = new SessionStore(file);
    const start = Date.now() + 3_600_000;
    store.save('token-a', { id: 'nurse', role: 'nurse', expiresAt: start });
    // A day of use: the expiry slides a minute and a second at a time.
    for (let minute = 1; minute <= 1_440; minute++) store.extend('token-a', start + minute * 61_000);
    expect(lines(file).length).toBeLessThanOrEqual(1_005);
    expect(new SessionStore(file).get('token-a')).toEqual({ id: 'nurse', role: 'nurse', expiresAt: start + 1_440 * 61_000 });
  });

  it('reads past a line cut short by a crash, and forgets expired sessions', () => {
    const file = fileIn();
    const store = new SessionStore(file);
    store.save('live', { id: 'nurse', role: 'nurse', expiresAt: Date.now() + 60_000 });
    store.save('expired', { id: 'physician', role: 'physician', expiresAt: Date.now() - 1 });
    writeFileSync(file, `${readFileSync(file, 'utf8')}{"token":"ab`, { flag: 'w' });
    const reopened = new SessionStore(file);
    expect(reopened.get('live')?.id).toBe('nurse');
    expect(reopened.get('expired')).toBeUndefined();
    expect(lines(file)).toHaveLength(1);
  });
});
