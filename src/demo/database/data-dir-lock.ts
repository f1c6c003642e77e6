import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';

/** Another live process holds the embedded database's data directory. */
export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
}

/**
 * An exclusive lock file beside a PGlite data directory. PGlite itself takes no lock: two processes
 * opening the same directory both succeed and silently lose committed rows (measured, see
 * reference/pglite.md). A lock left by a dead process is taken over.
 */
export class DataDirLock {
  private released = false;
  private readonly releaseOnExit = () => this.release();

  private constructor(readonly path: string) {
    process.once('exit', this.releaseOnExit);
  }

  /** Takes the lock at `path`, or throws `DataDirLockedError` naming the process holding it. */
  static acquire(path: string): DataDirLock {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        const fd = openSync(path, 'wx');
        writeSync(fd, String(process.pid));
        closeSync(fd);
        return new DataDirLock(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const holder = Number(readFileSync(path, 'utf8').trim());
        if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) {
          throw new DataDirLockedError(
            `the embedded database is in use by process ${holder} (lock ${path}); ` +
              'stop that process, or set DATABASE_URL to use a PostgreSQL server',
          );
        }
        unlinkSync(path); // stale: its process is gone
      }
    }
    throw new DataDirLockedError(`could not take the lock ${path}`);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    process.removeListener('exit', this.releaseOnExit);
    try {
      unlinkSync(this.path);
    } catch {
      // Already gone: nothing to release.
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
