import { createHash, randomBytes } from 'node:crypto';
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';

/** Another live process holds the embedded database's data directory. */
export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
}

/** Attempts before giving up on a lock that another process is busy taking over. */
const MAX_ATTEMPTS = 50;
const RETRY_DELAY_MS = 10;

/**
 * An exclusive lock file beside a PGlite data directory. PGlite itself takes no lock: two processes
 * opening the same directory both succeed and silently lose committed rows (measured, see
 * reference/pglite.md). A lock left by a dead process is taken over, by exactly one process however
 * many find it at once.
 *
 * Every step is one atomic file operation. A lock holds `<pid> <nonce>`, written to a file of our
 * own and published whole with `link()` (which fails if the lock exists: no reader ever sees it half
 * written). To replace a stale lock, a process must first create `<lock>.takeover-<digest of the
 * stale content>`, which one process only can; it checks the stale lock is still there and
 * `rename()`s its own over it. A takeover abandoned by a process that died is itself taken over the
 * same way (a claim on the claim), so a crash at any point never leaves the lock stuck.
 */
export class DataDirLock {
  private released = false;
  private readonly releaseOnExit = () => this.release();

  private constructor(
    readonly path: string,
    /** What the lock file holds while it is ours. */
    private readonly content: string,
  ) {
    process.once('exit', this.releaseOnExit);
  }

  /** Takes the lock at `path`, or throws `DataDirLockedError` naming the process holding it. */
  static acquire(path: string): DataDirLock {
    const content = `${process.pid} ${randomBytes(8).toString('hex')}\n`;
    const candidate = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(candidate, content, { flag: 'wx' });
    try {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
        if (linkIfAbsent(candidate, path)) return new DataDirLock(path, content);
        const current = readIfPresent(path);
        if (current === undefined) continue; // released meanwhile
        const holder = holderOf(current);
        if (holder !== undefined && isAlive(holder)) {
          throw new DataDirLockedError(
            `the embedded database is in use by process ${holder} (lock ${path}); ` +
              'stop that process, or set DATABASE_URL to use a PostgreSQL server',
          );
        }
        if (takeOver(path, current, candidate)) return new DataDirLock(path, content);
        sleep(RETRY_DELAY_MS); // another live process is taking it over: see who won
      }
      throw new DataDirLockedError(
        `could not take the lock ${path}: other processes keep taking it over (if none is running, ` +
          `remove ${path} and ${path}.takeover-*)`,
      );
    } finally {
      removeQuietly(candidate); // linked or renamed into place, or not needed
    }
  }

  /** Removes the lock, if it is still ours. */
  release(): void {
    if (this.released) return;
    this.released = true;
    process.removeListener('exit', this.releaseOnExit);
    // Nobody replaces the lock of a live process, so it is ours until we remove it.
    if (readIfPresent(this.path) === this.content) removeQuietly(this.path);
  }
}

/**
 * Replaces the stale lock `stale` with `candidate`, if this process wins the right to: true when it
 * did, false when another process is taking it over or already has.
 */
function takeOver(path: string, stale: string, candidate: string): boolean {
  const abandoned: string[] = [];
  let target = stale;
  let claim: string;
  for (;;) {
    claim = `${path}.takeover-${digest(target)}`;
    if (linkIfAbsent(candidate, claim)) break;
    const claimant = readIfPresent(claim);
    if (claimant === undefined) return false; // that takeover just finished
    const pid = holderOf(claimant);
    if (pid !== undefined && isAlive(pid)) return false;
    abandoned.push(claim); // its taker died: claim its claim
    target = claimant;
  }
  // This process alone may replace `stale` now; it may already have been replaced (and the claims
  // cleared) since it was read.
  const won = readIfPresent(path) === stale;
  if (won) {
    renameSync(candidate, path);
    for (const dead of abandoned) removeQuietly(dead);
  }
  removeQuietly(claim);
  return won;
}

/** `link(existing, path)`: true if it created `path`, false if `path` exists. */
function linkIfAbsent(existing: string, path: string): boolean {
  try {
    linkSync(existing, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

function readIfPresent(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** The process a lock or claim names (`<pid> <nonce>`, or a bare pid from older versions). */
function holderOf(content: string): number | undefined {
  const pid = Number(content.trim().split(/\s+/)[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** A file-name-safe name for one lock's content (each lock's nonce makes it unique). */
function digest(content: string): string {
  return createHash('sha256').update(content).digest('hex').slice(0, 32);
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

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
