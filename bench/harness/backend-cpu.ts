import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import pg from 'pg';

/** CPU time of processes, in nanoseconds, by pid. */
export type CpuTimes = ReadonlyMap<number, number>;

/** Clock ticks per second of /proc's utime and stime (`getconf CLK_TCK`, 100 on Linux). */
function clockTicksPerSecond(): number {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
}

/**
 * CPU time of `pid` in nanoseconds, or `undefined` if it is gone or unreadable: from
 * /proc/<pid>/schedstat (time on CPU, exact) when the kernel has it, else utime + stime of
 * /proc/<pid>/stat (whole clock ticks: 10 ms each).
 */
function cpuNanosOf(pid: number, ticksPerSecond: number): number | undefined {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    // no schedstat: fall back to the tick counters
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of the line are utime and stime; `fields` starts at field 3.
    return ((Number(fields[11]) + Number(fields[12])) * 1e9) / ticksPerSecond;
  } catch {
    return undefined;
  }
}

/**
 * PostgreSQL CPU spent serving one pool, from /proc (no `pg_stat_statements` needed, no server
 * restart): the CPU time of the backends whose `application_name` is the pool's. Only
 * meaningful when the server runs on this machine (`available`). Counts the backends' own work
 * (parse, plan, execute, WAL insertion, commit); not the WAL writer's, checkpointer's or
 * autovacuum's, which are shared by every database on the server.
 */
export class BackendCpu {
  private readonly ticksPerSecond = clockTicksPerSecond();

  private constructor(
    private readonly serverUrl: string,
    /** Whether this machine's /proc shows the server's backends. */
    readonly available: boolean,
  ) {}

  /** Checks, with a backend of its own, whether /proc shows the server's processes. */
  static async open(serverUrl: string): Promise<BackendCpu> {
    const client = new pg.Client({ connectionString: serverUrl });
    client.on('error', () => undefined);
    await client.connect();
    try {
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      let cmdline = '';
      try {
        cmdline = readFileSync(`/proc/${rows[0].pid}/cmdline`, 'utf8');
      } catch {
        // not on this machine
      }
      return new BackendCpu(serverUrl, cmdline.includes('postgres'));
    } finally {
      await client.end();
    }
  }

  /** The CPU time of every backend with one of these `application_name`s, now. */
  async sample(applicationNames: readonly string[]): Promise<CpuTimes> {
    if (!this.available || applicationNames.length === 0) return new Map();
    const client = new pg.Client({ connectionString: this.serverUrl });
    client.on('error', () => undefined);
    await client.connect();
    try {
      const { rows } = await client.query<{ pid: number }>(
        'SELECT pid FROM pg_stat_activity WHERE application_name = ANY($1::text[])',
        [applicationNames],
      );
      const times = new Map<number, number>();
      for (const { pid } of rows) {
        const t = cpuNanosOf(pid, this.ticksPerSecond);
        if (t !== undefined) times.set(pid, t);
      }
      return times;
    } finally {
      await client.end();
    }
  }

  /**
   * Milliseconds of CPU from `before` to `after`: a backend that appeared meanwhile counts whole
   * (its startup included), one that ended meanwhile is lost (keep pools from closing idle
   * connections during a measurement).
   */
  elapsedMs(before: CpuTimes, after: CpuTimes): number {
    let nanos = 0;
    for (const [pid, t] of after) nanos += t - (before.get(pid) ?? 0);
    return nanos / 1e6;
  }
}
