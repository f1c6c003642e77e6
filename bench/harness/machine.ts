import os from 'node:os';
import pg from 'pg';

/** The machine a run was measured on, for the report. */
export interface MachineDescription {
  readonly cpu: string;
  readonly cores: number;
  readonly memory: string;
  readonly node: string;
  readonly postgres: string;
  readonly os: string;
  /** 1-minute load average when the run started: other work on the machine skews every figure. */
  readonly loadAtStart: string;
}

/** Describes this machine and the PostgreSQL server at `serverUrl`. */
export async function describeMachine(serverUrl: string): Promise<MachineDescription> {
  const client = new pg.Client({ connectionString: serverUrl });
  client.on('error', () => undefined);
  await client.connect();
  let postgres: string;
  try {
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    postgres = rows[0].server_version;
  } finally {
    await client.end();
  }
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    node: process.version,
    postgres,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    loadAtStart: os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' / '),
  };
}

/** One line, e.g. for a section header. */
export function machineLine(m: MachineDescription): string {
  return (
    `${m.cpu}, ${m.cores} cores, ${m.memory} RAM; Node ${m.node}; PostgreSQL ${m.postgres}; ` +
    `${m.os}; load average at start (1/5/15 min) ${m.loadAtStart}`
  );
}
