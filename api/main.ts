import { loadConfig } from '../worker/config.js';
import { buildServer } from './server.js';

const config = loadConfig();
const { app } = await buildServer(config);
await app.listen({ host: config.HOST, port: config.PORT });
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void app.close().then(() => process.exit(0)));
}
