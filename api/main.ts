import { loadConfig } from '../platform/config.js';
import { startHl7Listener } from './hl7.js';
import { buildServer } from './server.js';

const config = loadConfig();
const { app, context } = await buildServer(config);
if (config.RACCORDO_HL7_PORT !== 0 && !context.directory.organisation(config.RACCORDO_HL7_ORGANISATION)) {
  throw new Error(`RACCORDO_HL7_ORGANISATION: ${config.RACCORDO_HL7_ORGANISATION} is not in the directory's register of organisations`);
}
await app.listen({ host: config.HOST, port: config.PORT });
// The listener logs its own start (port only).
const hl7 =
  config.RACCORDO_HL7_PORT === 0
    ? undefined
    : await startHl7Listener({
        port: config.RACCORDO_HL7_PORT,
        host: config.RACCORDO_HL7_HOST,
        cases: context.cases,
        // MLLP has no credentials: the port must be reachable from the hospital network only.
        actor: { id: 'system:hl7', role: 'ward', organisation: config.RACCORDO_HL7_ORGANISATION },
        homelessRule: config.RACCORDO_HL7_HOMELESS_RULE,
        log: app.log,
        audit: context.audit,
      });
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  // The listener first: the messages it is still answering are recorded in the register before the API closes it.
  process.once(signal, () => {
    void (async () => {
      await hl7?.close();
      await app.close();
      process.exit(0);
    })();
  });
}
