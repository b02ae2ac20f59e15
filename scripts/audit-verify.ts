import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { verifyAuditLog } from '../api/audit.js';
import { loadConfig } from '../platform/config.js';

/**
 * `npm run audit:verify [file]`: walks the register of accesses and says whether its chain is intact.
 * Exit code 0 if it is, 1 if not (or if the file is missing: a register that vanished is not an intact one).
 */
const { positionals } = parseArgs({ allowPositionals: true, strict: true });
const [argument] = z.array(z.string().min(1)).max(1, 'Uso: npm run audit:verify [file]').parse(positionals);
// npm runs scripts from the package root; a path given on the command line means the caller's directory.
const file = argument ? resolve(process.env.INIT_CWD ?? process.cwd(), argument) : resolve(loadConfig().RACCORDO_AUDIT_FILE);

const result = await verifyAuditLog(file);
if (result.ok) {
  console.log(`Registro degli accessi integro: ${result.entries} voci (${file})`);
} else {
  const where = result.firstBadSeq ? `voce n. ${result.firstBadSeq}, riga ${result.line}: ` : '';
  console.error(`Registro degli accessi NON integro (${file})`);
  console.error(`  ${where}${result.problem}`);
  if (result.firstBadSeq) console.error(`  voci integre prima del problema: ${result.entries}`);
  process.exitCode = 1;
}
