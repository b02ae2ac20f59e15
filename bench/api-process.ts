import { buildServer } from '../api/server.js';
import { loadConfig } from '../platform/config.js';

/**
 * The HTTP API of `npm run bench` (buildServer, as api/main.ts runs it, without the HL7 listener), in a process of
 * its own on loopback: the load generator does not share its event loop, and its memory is readable alone.
 */

export type ApiMessage = { ready: true; pid: number; url: string } | { failed: string };

try {
  const config = loadConfig();
  const { app } = await buildServer(config);
  await app.listen({ host: '127.0.0.1', port: config.PORT });
  const stop = () => void app.close().then(() => process.exit(0));
  process.on('disconnect', stop);
  process.on('message', (message) => {
    if (message === 'stop') stop();
  });
  const ready: ApiMessage = { ready: true, pid: process.pid, url: `http://127.0.0.1:${config.PORT}` };
  process.send?.(ready);
} catch (error) {
  const failed: ApiMessage = { failed: (error as Error).stack ?? String(error) };
  // Exit once the parent has the message: it reports why the process ended.
  if (process.send) process.send(failed, () => process.exit(1));
  else process.exit(1);
}
