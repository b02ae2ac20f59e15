import { connect, createServer, type Server, type Socket } from 'node:net';
import { freePort } from '../../scripts/services.js';

/** A TCP hop between a process and a server, which a test cuts and restores: the network between them, failing. */
export interface TcpProxy {
  readonly port: number;
  /** Drops every open connection and refuses new ones, as an unreachable server does. */
  cut(): Promise<void>;
  /**
   * Cuts as soon as the server sends bytes that contain `marker`, which never reach the client: the server did the
   * work, the client never learns it. Resolves once it has cut.
   */
  cutOnReply(marker: string): Promise<void>;
  /** Accepts connections again, on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const port = await freePort();
  const open = new Set<Socket>();
  let server: Server | undefined;
  let armed: { marker: Buffer; cutDone: () => void } | undefined;

  const cut = async () => {
    const closing = server;
    server = undefined;
    for (const socket of open) socket.destroy();
    await new Promise<void>((resolve) => (closing ? closing.close(() => resolve()) : resolve()));
  };
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((client) => {
        const upstream = connect(targetPort, targetHost);
        for (const socket of [client, upstream]) {
          open.add(socket);
          socket.on('close', () => open.delete(socket));
          socket.on('error', () => {
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream);
        upstream.on('data', (chunk: Buffer) => {
          const trigger = armed;
          if (trigger && chunk.includes(trigger.marker)) {
            armed = undefined;
            void cut().then(trigger.cutDone);
            return;
          }
          client.write(chunk);
        });
        upstream.on('end', () => client.end());
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });

  await listen();
  return {
    port,
    cut,
    cutOnReply: (marker) => new Promise<void>((cutDone) => (armed = { marker: Buffer.from(marker), cutDone })),
    restore: () => (server ? Promise.resolve() : listen()),
    close: cut,
  };
}
