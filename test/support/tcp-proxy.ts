import net from 'node:net';

/** Where the proxy forwards to. */
export interface ProxyTarget {
  readonly host: string;
  readonly port: number;
}

/**
 * A TCP proxy between the module and PostgreSQL, for fault injection and latency benchmarks. It
 * listens on a free loopback port and can cut every live connection, refuse new ones for a while,
 * or delay every chunk by a fixed latency in each direction (order preserved).
 *
 * @example
 * const proxy = await TcpProxy.start({ host: '127.0.0.1', port: 5432 });
 * proxy.latencyMs = 1;                 // +1 ms each way
 * proxy.cutAll();                      // every open connection dies now
 * proxy.refuse(3000);                  // new connections are closed for 3 s
 * await proxy.close();
 */
export class TcpProxy {
  /** Delay added to every chunk, in each direction. Default: `0`. */
  latencyMs = 0;
  private refusingUntil = 0;
  private readonly sockets = new Set<net.Socket>();
  private accepted = 0;

  private constructor(
    private readonly server: net.Server,
    private readonly target: ProxyTarget,
  ) {}

  /** Starts a proxy to `target` on `127.0.0.1` and a free port. */
  static async start(target: ProxyTarget): Promise<TcpProxy> {
    const server = net.createServer();
    const proxy = new TcpProxy(server, target);
    server.on('connection', (client) => proxy.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  /** The port the proxy listens on. */
  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Connections currently open through the proxy (each counted once, client side). */
  get openConnections(): number {
    return this.sockets.size / 2;
  }

  /** Connections accepted since start (refused ones included). */
  get acceptedConnections(): number {
    return this.accepted;
  }

  /** A copy of `url` pointing at this proxy instead of its own host and port. */
  urlFor(url: string): string {
    const proxied = new URL(url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(this.port);
    return proxied.toString();
  }

  /** Destroys every open connection at once, as a failover or network cut would. */
  cutAll(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  /** Closes every new connection immediately for `ms` (and cuts the open ones if `cut`). */
  refuse(ms: number, { cut = true }: { cut?: boolean } = {}): void {
    this.refusingUntil = Date.now() + ms;
    if (cut) this.cutAll();
  }

  /** Accepts new connections again, ending a `refuse()` early. */
  allow(): void {
    this.refusingUntil = 0;
  }

  /** Stops listening and cuts every connection. */
  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    this.accepted += 1;
    if (Date.now() < this.refusingUntil) {
      client.destroy();
      return;
    }
    const upstream = net.connect(this.target.port, this.target.host);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.sockets.add(from);
      from.setNoDelay(true);
      from.on('error', () => undefined);
      from.on('close', () => {
        this.sockets.delete(from);
        to.destroy();
      });
      this.pipeWithLatency(from, to);
    }
  }

  /** Forwards chunks in order, each no earlier than `latencyMs` after it arrived. */
  private pipeWithLatency(from: net.Socket, to: net.Socket): void {
    let chain = Promise.resolve();
    from.on('data', (chunk: Buffer) => {
      const latency = this.latencyMs;
      if (latency <= 0) {
        chain = chain.then(() => void (to.destroyed || to.write(chunk)));
        return;
      }
      const due = performance.now() + latency;
      chain = chain.then(async () => {
        // Timers round to whole milliseconds and may fire a fraction early: wait until due.
        for (let wait = due - performance.now(); wait > 0; wait = due - performance.now()) {
          await new Promise((resolve) => setTimeout(resolve, Math.ceil(wait)));
        }
        if (!to.destroyed) to.write(chunk);
      });
    });
  }
}
