import net from 'node:net';

/** PostgreSQL's Terminate message ('X', length 4): what a client sends when it closes politely. */
const TERMINATE = Buffer.from([0x58, 0, 0, 0, 4]);

/**
 * A TCP proxy between an application and PostgreSQL that the runner can cut (the database becomes
 * unreachable) and that remembers, per connection, whether the application said goodbye (sent
 * Terminate as its last message) before closing: a pool ended at shutdown does, a process that
 * merely dies does not. Self-contained on purpose (test/support/tcp-proxy.ts is TypeScript for
 * jest; this runs under plain Node).
 */
export class CuttableProxy {
  /** @type {Set<ProxiedConnection>} */
  #open = new Set();
  #refusing = false;

  /** @param {net.Server} server @param {{ host: string, port: number }} target */
  constructor(server, target) {
    this.server = server;
    this.target = target;
  }

  /** Listens on 127.0.0.1 and a free port, forwarding to `target`. */
  static async start(target) {
    const server = net.createServer();
    const proxy = new CuttableProxy(server, target);
    server.on('connection', (client) => proxy.#accept(client));
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    return proxy;
  }

  get port() {
    return /** @type {net.AddressInfo} */ (this.server.address()).port;
  }

  /** Connections open now (a copy). */
  openConnections() {
    return new Set(this.#open);
  }

  /** The database becomes unreachable: every open connection is cut, new ones are refused. */
  cut() {
    this.#refusing = true;
    for (const connection of this.#open) connection.destroy();
  }

  /** The database is reachable again. */
  allow() {
    this.#refusing = false;
  }

  async close() {
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** @param {net.Socket} client */
  #accept(client) {
    if (this.#refusing) {
      client.destroy();
      return;
    }
    const connection = new ProxiedConnection(
      client,
      net.connect(this.target.port, this.target.host),
    );
    this.#open.add(connection);
    connection.closed.then(() => this.#open.delete(connection));
  }
}

/** One client connection and its upstream; `saidGoodbye` once the client sent Terminate last. */
class ProxiedConnection {
  #tail = Buffer.alloc(0);

  /** @param {net.Socket} client @param {net.Socket} upstream */
  constructor(client, upstream) {
    this.client = client;
    this.upstream = upstream;
    client.on('data', (chunk) => {
      this.#tail = Buffer.concat([this.#tail, chunk]).subarray(-TERMINATE.length);
    });
    for (const socket of [client, upstream]) {
      socket.setNoDelay(true);
      socket.on('error', () => undefined);
    }
    client.pipe(upstream);
    upstream.pipe(client);
    /** Resolves when both sides are closed. */
    this.closed = Promise.all(
      [client, upstream].map((socket) => new Promise((resolve) => socket.once('close', resolve))),
    );
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  }

  /** Whether the client's last message was Terminate. */
  get saidGoodbye() {
    return this.#tail.equals(TERMINATE);
  }

  destroy() {
    this.client.destroy();
    this.upstream.destroy();
  }
}
