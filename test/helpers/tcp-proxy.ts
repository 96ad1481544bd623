import { connect, createServer, type Server, type Socket } from 'node:net';

// A TCP proxy in front of a real server (PostgreSQL) that a test can cut: refuse connections,
// or black-hole them (accept, then never answer — a failover or a dropped network), and restore.

export interface TcpProxy {
  port: number;
  /** Every connection reset and new ones refused, as when the server stops. */
  cut(): Promise<void>;
  /** Nothing passes any more, on open connections or new ones, and nothing is closed either. */
  blackHole(): void;
  /** Connections pass again (black-holed ones are dropped, so clients reconnect). */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** A server that accepts connections and never says a word. */
export async function startBlackHole(): Promise<{ address: string; close(): Promise<void> }> {
  const held = new Set<Socket>();
  const server = createServer((socket) => {
    held.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => held.delete(socket));
  });
  await listen(server, 0);
  return {
    address: `127.0.0.1:${(server.address() as { port: number }).port}`,
    close: async () => {
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  const held = new Set<Socket>();
  let blackHoled = false;
  const server = createServer((client) => {
    client.on('error', () => {});
    if (blackHoled) {
      held.add(client);
      return;
    }
    const upstream = connect(target.port, target.host);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', drop);
    upstream.on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await listen(server, 0);
  const port = (server.address() as { port: number }).port;

  const dropAll = () => {
    for (const [client, upstream] of pairs) {
      client.destroy();
      upstream.destroy();
    }
    pairs.clear();
    for (const socket of held) socket.destroy();
    held.clear();
  };

  return {
    port,
    async cut() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        dropAll();
      });
    },
    blackHole() {
      blackHoled = true;
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    async restore() {
      blackHoled = false;
      dropAll();
      if (!server.listening) await listen(server, port);
    },
    async close() {
      dropAll();
      if (server.listening) await new Promise((resolve) => server.close(resolve));
    },
  };
}
