import { execFile } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** `$PGBENCH`, else the newest `/usr/lib/postgresql/<v>/bin/pgbench` (Debian), else PATH's. */
export function findPgbench(): string {
  if (process.env.PGBENCH) return process.env.PGBENCH;
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) {
      const candidate = join(root, v, 'bin', 'pgbench');
      if (existsSync(candidate)) return candidate;
    }
  }
  return 'pgbench'; // PATH's; if there is none, spawning fails with ENOENT and the bench says so
}

/**
 * Transactions per second of `script` run by `clients` connections for `seconds` (extended
 * protocol, like node-postgres), against the database of `url`.
 */
export async function pgbenchTps(
  binary: string,
  url: string,
  script: string,
  clients: number,
  seconds: number,
): Promise<number> {
  const file = join(tmpdir(), `bench-pgbench-${process.pid}.sql`);
  writeFileSync(file, script);
  const target = new URL(url);
  const { stdout } = await run(
    binary,
    [
      '-n',
      '-M',
      'extended',
      '-c',
      String(clients),
      '-j',
      '2',
      '-T',
      String(seconds),
      '-f',
      file,
      '-h',
      target.hostname,
      '-p',
      target.port || '5432',
      '-U',
      decodeURIComponent(target.username || 'postgres'),
      decodeURIComponent(target.pathname.slice(1)),
    ],
    { env: { ...process.env, PGPASSWORD: decodeURIComponent(target.password) } },
  );
  const match = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout);
  if (match === null) throw new Error(`unexpected pgbench output:\n${stdout}`);
  return Number(match[1]);
}
