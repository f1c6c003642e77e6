import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DataDirLock } from './data-dir-lock';

/** Options of `EmbeddedDatabase.start()`. */
export interface EmbeddedDatabaseOptions {
  /** A directory to keep the data in (created if missing), or `'memory://'`. */
  readonly dataDir: string;
  /**
   * Connections the socket server accepts. PGlite is ONE session: several connections are
   * multiplexed message by message and can mix results under load, so keep this to what the
   * module needs (its pool plus one dedicated migration connection). Default: `2`.
   */
  readonly maxConnections?: number;
}

/**
 * PGlite (PostgreSQL compiled to WASM) behind a PostgreSQL wire-protocol socket, in a worker
 * thread so its queries never block the HTTP event loop. For development and demos only: one
 * session, no authentication, no TLS, no statement_timeout. A lock file keeps a second process
 * from opening the same data directory.
 */
export class EmbeddedDatabase {
  private constructor(
    /** `postgres://` URL of the socket server, on 127.0.0.1 and a free port. */
    readonly url: string,
    private readonly worker: Worker,
    private readonly lock: DataDirLock | undefined,
  ) {}

  static async start(options: EmbeddedDatabaseOptions): Promise<EmbeddedDatabase> {
    const inMemory = options.dataDir.startsWith('memory://');
    const dataDir = inMemory ? options.dataDir : resolve(options.dataDir);
    if (!inMemory) mkdirSync(dirname(dataDir), { recursive: true });
    const lock = inMemory ? undefined : DataDirLock.acquire(`${dataDir}.lock`);
    try {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: {
          dataDir,
          maxConnections: options.maxConnections ?? 2,
          pglite: require.resolve('@electric-sql/pglite'),
          socket: require.resolve('@electric-sql/pglite-socket'),
        },
      });
      const address = await new Promise<string>((resolveReady, rejectReady) => {
        worker.once('message', (message: WorkerMessage) =>
          message.type === 'ready'
            ? resolveReady(message.address)
            : rejectReady(new Error(`embedded database failed to start: ${message.error}`)),
        );
        worker.once('error', rejectReady);
      });
      return new EmbeddedDatabase(
        `postgres://postgres@${address}/postgres?sslmode=disable`,
        worker,
        lock,
      );
    } catch (error) {
      lock?.release();
      throw error;
    }
  }

  /** Stops the server, closes PGlite (flushing the data directory) and releases the lock. */
  async stop(): Promise<void> {
    try {
      const exited = new Promise<void>((resolveExit) =>
        this.worker.once('exit', () => resolveExit()),
      );
      this.worker.postMessage('stop');
      await exited;
    } finally {
      this.lock?.release();
    }
  }
}

type WorkerMessage = { type: 'ready'; address: string } | { type: 'error'; error: string };

/**
 * The worker, as CommonJS source: it runs the same from `src` under jest and from `dist`.
 * Package paths are resolved by the parent and passed in.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { PGlite } = require(workerData.pglite);
const { PGLiteSocketServer } = require(workerData.socket);
(async () => {
  const db = await PGlite.create(workerData.dataDir);
  const server = new PGLiteSocketServer({
    db, host: '127.0.0.1', port: 0, maxConnections: workerData.maxConnections,
  });
  await server.start();
  parentPort.on('message', async (message) => {
    if (message !== 'stop') return;
    await server.stop();
    await db.close();
    parentPort.close();
  });
  parentPort.postMessage({ type: 'ready', address: server.getServerConn() });
})().catch((error) => {
  parentPort.postMessage({ type: 'error', error: String((error && error.stack) || error) });
  parentPort.close();
});
`;
