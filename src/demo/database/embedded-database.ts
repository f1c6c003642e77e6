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
  /**
   * Called once if the database stops by itself after it started (its worker crashed or exited):
   * from then on it is unavailable, connections to it are refused, and the process goes on.
   * Default: none (the failure is still handled, never an uncaught error).
   */
  readonly onFailure?: (error: Error) => void;
}

/**
 * PGlite (PostgreSQL compiled to WASM) behind a PostgreSQL wire-protocol socket, in a worker
 * thread so its queries never block the HTTP event loop. For development and demos only: one
 * session, no authentication, no TLS, no statement_timeout. A lock file keeps a second process
 * from opening the same data directory.
 */
export class EmbeddedDatabase {
  private stopping = false;
  private readonly exited: Promise<void>;
  private failed = false;

  private constructor(
    /** `postgres://` URL of the socket server, on 127.0.0.1 and a free port. */
    readonly url: string,
    private readonly worker: Worker,
    private readonly lock: DataDirLock | undefined,
    private readonly onFailure: ((error: Error) => void) | undefined,
  ) {
    // For as long as the worker lives, not only while it starts: an 'error' without a listener
    // would be thrown in this process, and an exit unnoticed would leave stop() waiting forever.
    worker.on('error', (error) => this.fail(error));
    this.exited = new Promise((resolveExit) =>
      worker.once('exit', (code) => {
        if (!this.stopping) this.fail(new Error(`its worker exited with code ${code}`));
        resolveExit();
      }),
    );
  }

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
        const onMessage = (message: WorkerMessage) => {
          settle();
          if (message.type === 'ready') resolveReady(message.address);
          else rejectReady(new Error(`embedded database failed to start: ${message.error}`));
        };
        const onError = (error: Error) => {
          settle();
          rejectReady(error);
        };
        const onExit = (code: number) => {
          settle();
          rejectReady(new Error(`embedded database failed to start: exit code ${code}`));
        };
        const settle = () => {
          worker.off('message', onMessage).off('error', onError).off('exit', onExit);
        };
        worker.on('message', onMessage).on('error', onError).on('exit', onExit);
      }).catch(async (error: unknown) => {
        await worker.terminate();
        throw error;
      });
      return new EmbeddedDatabase(
        `postgres://postgres@${address}/postgres?sslmode=disable`,
        worker,
        lock,
        options.onFailure,
      );
    } catch (error) {
      lock?.release();
      throw error;
    }
  }

  /** Stops the server, closes PGlite (flushing the data directory) and releases the lock. */
  async stop(): Promise<void> {
    try {
      if (!this.stopping) {
        this.stopping = true;
        this.worker.postMessage('stop'); // ignored by a worker that has already exited
      }
      await this.exited;
    } finally {
      this.lock?.release();
    }
  }

  private fail(error: Error): void {
    if (this.failed || this.stopping) return;
    this.failed = true;
    this.onFailure?.(error);
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
