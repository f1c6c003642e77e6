import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import pg from 'pg';
import { type BenchDatabase, createBenchDatabase } from '../harness/database';
import { count, ms, ratio } from '../harness/format';
import { bootOurs } from '../harness/savers';
import type { Scenario, ScenarioResult } from '../harness/scenario';
import { statementsSentBy } from '../harness/statement-counter';
import { speedup, summarize } from '../harness/stats';
import { timed } from '../harness/timing';

const SCHEMA = 'bench';

/** Records every DDL command of this database (IF NOT EXISTS no-ops included) into `ddl_log`. */
async function installDdlRecorder(database: BenchDatabase): Promise<void> {
  await database.query(`CREATE TABLE public.ddl_log (tag text NOT NULL, query text NOT NULL)`);
  await database.query(`CREATE FUNCTION public.record_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
    BEGIN INSERT INTO public.ddl_log VALUES (tg_tag, current_query()); END $$`);
  await database.query(
    `CREATE EVENT TRIGGER record_ddl ON ddl_command_start EXECUTE FUNCTION public.record_ddl()`,
  );
}

async function ddlSince(database: BenchDatabase): Promise<string[]> {
  const { rows } = await database.query<{ tag: string }>(
    `DELETE FROM public.ddl_log RETURNING tag`,
  );
  return rows.map((r) => r.tag);
}

interface BootSample {
  readonly ms: number;
  readonly statements: number;
  readonly ddl: string[];
}

async function sample(
  database: BenchDatabase,
  boot: () => Promise<() => Promise<void>>,
): Promise<BootSample> {
  await ddlSince(database);
  let close: () => Promise<void> = () => Promise.resolve();
  let elapsed = 0;
  const statements = await statementsSentBy(async () => {
    elapsed = await timed(async () => {
      close = await boot();
    });
  });
  await close();
  return { ms: elapsed, statements: statements.length, ddl: await ddlSince(database) };
}

/** Issue 6, bench 5: boot with an up-to-date schema. */
export const boot: Scenario = {
  id: 'boot',
  number: 5,
  title: 'Boot with an up-to-date schema',
  baseline: 'a new upstream `PostgresSaver` on a new pool, then `setup()`, as its README boots',
  async run(context): Promise<ScenarioResult> {
    const database = await createBenchDatabase(context.serverUrl, 'boot');
    const reps = context.quick ? 3 : 25;
    try {
      await (await bootOurs(database.url, SCHEMA)).close(); // migrates: the schema is now current
      await installDdlRecorder(database);
      const ours = async () => {
        const app = await bootOurs(database.url, SCHEMA);
        return () => app.close();
      };
      const upstream = async () => {
        const pool = new pg.Pool({ connectionString: database.url });
        pool.on('error', () => undefined);
        await new PostgresSaver(pool, undefined, { schema: SCHEMA }).setup();
        return () => pool.end();
      };
      const samples = { ours: [] as BootSample[], upstream: [] as BootSample[] };
      for (let r = 0; r < reps; r += 1) {
        context.progress(`boot ${r + 1}/${reps}`);
        const order =
          r % 2 === 0 ? (['ours', 'upstream'] as const) : (['upstream', 'ours'] as const);
        for (const who of order)
          samples[who].push(await sample(database, who === 'ours' ? ours : upstream));
      }
      const o = summarize(samples.ours.map((s) => s.ms));
      const b = summarize(samples.upstream.map((s) => s.ms));
      const ddl = (xs: BootSample[]) => Math.max(...xs.map((s) => s.ddl.length));
      const tags = (xs: BootSample[]) =>
        [...new Set(xs.flatMap((s) => s.ddl))].join(', ') || 'none';
      const statements = (xs: BootSample[]) => summarize(xs.map((s) => s.statements)).median;
      const oursDdl = ddl(samples.ours);
      return {
        tables: [
          {
            title: `Loopback, ${reps} boots each`,
            headers: ['metric', 'ours', 'upstream', 'ratio'],
            rows: [
              [
                'time to ready, median',
                ms(o.median),
                ms(b.median),
                ratio(speedup(o.median, b.median, 'lower')),
              ],
              ['time to ready, p95', ms(o.p95), ms(b.p95), ratio(speedup(o.p95, b.p95, 'lower'))],
              [
                'DDL statements executed per boot (most seen)',
                count(oursDdl),
                count(ddl(samples.upstream)),
                '',
              ],
              ['DDL commands seen', tags(samples.ours), tags(samples.upstream), ''],
              [
                'statements sent per boot (median)',
                count(statements(samples.ours)),
                count(statements(samples.upstream)),
                '',
              ],
            ],
          },
        ],
        notes: [
          'DDL is counted by a `ddl_command_start` event trigger on the benchmark database, so no-ops ' +
            'such as `CREATE SCHEMA IF NOT EXISTS` count too; statements by wrapping ' +
            '`pg.Client.prototype.query`. Ours is a whole Nest application context ' +
            '(`CheckpointerModule.forRoot`: options, pool, readiness ping, schema check, saver); ' +
            "upstream's is a pool and `setup()`. Both open their first connection during the boot.",
          '',
          `- ${oursDdl === 0 ? 'MET' : 'NOT MET'}: zero DDL when the schema is current (${oursDdl} seen).`,
        ],
      };
    } finally {
      await database.drop();
    }
  },
};
