/**
 * The data-directory lock, on the real filesystem: taken, refused while its holder lives, taken
 * over when it died, and taken over by exactly one of many processes racing for it.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transpileModule } from 'typescript';
import { DataDirLock, DataDirLockedError } from './data-dir-lock';

let root: string;
let lockPath: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'data-dir-lock-'));
  lockPath = join(root, 'pglite.lock');
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

/** The pid of a process that has exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid;
/** Files beside the lock other than the lock itself (claims, candidates). */
const litter = () => readdirSync(root).filter((name) => name !== 'pglite.lock');

describe('DataDirLock', () => {
  it('holds "<pid> <nonce>", published whole; released, it is gone', () => {
    const lock = DataDirLock.acquire(lockPath);
    expect(readFileSync(lockPath, 'utf8')).toMatch(new RegExp(`^${process.pid} [0-9a-f]{16}\\n$`));
    expect(litter()).toEqual([]);
    lock.release();
    expect(existsSync(lockPath)).toBe(false);
  });

  it('is refused while its holder lives, naming it', () => {
    const lock = DataDirLock.acquire(lockPath);
    expect(() => DataDirLock.acquire(lockPath)).toThrow(
      new DataDirLockedError(
        `the embedded database is in use by process ${process.pid} (lock ${lockPath}); ` +
          'stop that process, or set DATABASE_URL to use a PostgreSQL server',
      ),
    );
    lock.release();
    expect(litter()).toEqual([]);
  });

  it.each([
    ['this version', () => `${deadPid()} 0123456789abcdef\n`],
    ['an older version (a bare pid)', () => String(deadPid())],
    ['an older version, cut short (empty)', () => ''],
  ])('takes over a lock left by a dead process, written by %s', (_case, content) => {
    writeFileSync(lockPath, content());
    const lock = DataDirLock.acquire(lockPath);
    expect(readFileSync(lockPath, 'utf8')).toMatch(new RegExp(`^${process.pid} `));
    expect(litter()).toEqual([]);
    lock.release();
  });

  it('takes over a takeover abandoned by a process that died half-way, and clears it', () => {
    // A stale lock, and a dead process's claim to replace it (and a claim on that claim).
    writeFileSync(lockPath, `${deadPid()} aaaaaaaaaaaaaaaa\n`);
    const stale = readFileSync(lockPath, 'utf8');
    const { createHash } = jest.requireActual<typeof import('node:crypto')>('node:crypto');
    const claimOf = (content: string) =>
      `${lockPath}.takeover-${createHash('sha256').update(content).digest('hex').slice(0, 32)}`;
    const firstClaim = `${deadPid()} bbbbbbbbbbbbbbbb\n`;
    writeFileSync(claimOf(stale), firstClaim);
    writeFileSync(claimOf(firstClaim), `${deadPid()} cccccccccccccccc\n`);
    const lock = DataDirLock.acquire(lockPath);
    expect(readFileSync(lockPath, 'utf8')).toMatch(new RegExp(`^${process.pid} `));
    expect(litter()).toEqual([]);
    lock.release();
  });

  it('leaves a stale lock to a live process already taking it over', () => {
    writeFileSync(lockPath, `${deadPid()} aaaaaaaaaaaaaaaa\n`);
    const stale = readFileSync(lockPath, 'utf8');
    const { createHash } = jest.requireActual<typeof import('node:crypto')>('node:crypto');
    const claim = `${lockPath}.takeover-${createHash('sha256').update(stale).digest('hex').slice(0, 32)}`;
    // The claimant is alive (this process stands in for it) and has not finished.
    writeFileSync(claim, `${process.pid} dddddddddddddddd\n`);
    expect(() => DataDirLock.acquire(lockPath)).toThrow(/other processes keep taking it over/);
    expect(readFileSync(lockPath, 'utf8')).toBe(stale);
    expect(existsSync(claim)).toBe(true);
  });

  it('release leaves a lock that is no longer ours', () => {
    const lock = DataDirLock.acquire(lockPath);
    writeFileSync(lockPath, `${process.pid} someone-else\n`);
    lock.release();
    expect(readFileSync(lockPath, 'utf8')).toBe(`${process.pid} someone-else\n`);
  });
});

describe('DataDirLock: many processes find the same stale lock at once', () => {
  const TAKERS = 8;
  const ROUNDS = 10;

  /** The lock's code, compiled as it is now, for the child processes to load. */
  function compiledLock(): string {
    const source = readFileSync(join(__dirname, 'data-dir-lock.ts'), 'utf8');
    const { outputText } = transpileModule(source, {
      compilerOptions: { module: 1 /* CommonJS */, target: 9 /* ES2022 */ },
    });
    const file = join(root, 'data-dir-lock.js');
    writeFileSync(file, outputText);
    return file;
  }

  /**
   * A taker: loads the lock, says "ready", waits for the start time on stdin, takes the lock (or
   * not), says how it went, and keeps it (stays alive) until stdin closes.
   */
  const TAKER = `
    const { DataDirLock } = require(process.argv[1]);
    process.stdout.write('ready\\n');
    process.stdin.once('data', (start) => {
      while (Date.now() < Number(start)) {}
      let outcome;
      try { DataDirLock.acquire(process.argv[2]); outcome = 'won'; }
      catch (error) { outcome = error.name === 'DataDirLockedError' ? 'locked' : 'failed: ' + error.message; }
      process.stdout.write(outcome + '\\n');
    });
    process.stdin.once('end', () => process.exit(0));
  `;

  function startTaker(lockCode: string): { child: ChildProcess; lines: Promise<string>[] } {
    const child = spawn(process.execPath, ['-e', TAKER, lockCode, lockPath], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let buffered = '';
    const waiters: ((line: string) => void)[] = [];
    const lines = [0, 1].map(
      (index) => new Promise<string>((resolve) => (waiters[index] = resolve)),
    );
    let seen = 0;
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
        waiters[seen++]?.(buffered.slice(0, end));
        buffered = buffered.slice(end + 1);
      }
    });
    return { child, lines };
  }

  it(`exactly one of ${TAKERS} wins, round after round`, async () => {
    const lockCode = compiledLock();
    const rounds: { won: number; locked: number; other: string[]; holder: boolean }[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      writeFileSync(lockPath, `${deadPid()} ${'0'.repeat(15)}${round % 10}\n`);
      const takers = Array.from({ length: TAKERS }, () => startTaker(lockCode));
      try {
        await Promise.all(takers.map(({ lines }) => lines[0]));
        const start = String(Date.now() + 100);
        for (const { child } of takers) child.stdin?.write(start);
        const outcomes = await Promise.all(takers.map(({ lines }) => lines[1]));
        const winners = takers.filter((_, index) => outcomes[index] === 'won');
        rounds.push({
          won: winners.length,
          locked: outcomes.filter((outcome) => outcome === 'locked').length,
          other: outcomes.filter((outcome) => outcome !== 'won' && outcome !== 'locked'),
          // The lock names the one winner.
          holder:
            winners.length === 1 &&
            readFileSync(lockPath, 'utf8').startsWith(`${winners[0].child.pid} `),
        });
      } finally {
        for (const { child } of takers) child.stdin?.end();
        await Promise.all(
          takers.map(({ child }) => new Promise((resolve) => child.once('exit', resolve))),
        );
      }
    }
    expect(rounds).toEqual(
      Array.from({ length: ROUNDS }, () => ({
        won: 1,
        locked: TAKERS - 1,
        other: [],
        holder: true,
      })),
    );
  }, 120_000);
});
