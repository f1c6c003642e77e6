import pg from 'pg';
import { type ThreadListPage, ThreadService } from '../../src/checkpointer';
import { type BenchDatabase, createBenchDatabase } from '../harness/database';
import { type ExplainedStatement, explainWhatRuns } from '../harness/explain';
import { factor, ms, ratio } from '../harness/format';
import { bootOurs } from '../harness/savers';
import type { Scenario, ScenarioResult } from '../harness/scenario';
import { statementsSentBy } from '../harness/statement-counter';
import { type Summary, speedup, summarizeRuns } from '../harness/stats';
import {
  HEAVY_USER,
  type HistoryShape,
  LIGHT_USER,
  buildOriginalTable,
  originalCountQuery,
  originalListingQuery,
  seedOurHistory,
} from '../harness/thread-history';
import { type SamplingPlan, timeInRotation, timed } from '../harness/timing';

const SCHEMA = 'bench';
const ORIGINAL_SCHEMA = 'original';
const PAGE_SIZE = 20;
const DEEP_PAGE = 50;
const DEEP_OFFSET = (DEEP_PAGE - 1) * PAGE_SIZE;

const FULL: HistoryShape = {
  threads: 100_000,
  runsPerThread: 10,
  users: 1_000,
  heavyThreads: 10_000,
  lightThreads: 25,
};
/** `--quick`: a tenth of the history, still 50 pages for the heavy user. */
const QUICK: HistoryShape = { ...FULL, threads: 10_000, users: 100, heavyThreads: 1_000 };

const n = (value: number) => value.toLocaleString('en-US');

type Operation = () => Promise<unknown>;
type OursKey = 'first' | 'second' | 'deep' | 'byNumber' | 'count' | 'lightFirst' | 'lightCount';
type OriginalKey = 'first' | 'deep' | 'count' | 'lightFirst' | 'lightCount';

/**
 * Seeds ours and the original's table with the same history, then vacuums and analyzes. Returns
 * the share of the tables' pages VACUUM marked all-visible (index-only scans depend on it).
 */
async function seed(database: BenchDatabase, shape: HistoryShape): Promise<number> {
  const client = new pg.Client({ connectionString: database.url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    // Memory for the sorts and index builds of this session only. Not synchronous_commit = off:
    // VACUUM cannot mark pages all-visible until the commits are flushed, and a visibility map
    // left half empty turns the original's index-only count into a heap scan.
    await client.query(`SET work_mem = '64MB'`);
    await client.query(`SET maintenance_work_mem = '256MB'`);
    await seedOurHistory(client, SCHEMA, shape);
    await buildOriginalTable(client, SCHEMA, ORIGINAL_SCHEMA);
    // As autovacuum would have by now: statistics, visibility map, hint bits.
    await client.query(
      `VACUUM (ANALYZE) ${SCHEMA}.users_threads, ${SCHEMA}.users_threads_runs,
         ${SCHEMA}.users_thread_counts, ${ORIGINAL_SCHEMA}.users_threads_runs`,
    );
    const { rows } = await client.query<{ share: number }>(
      `SELECT sum(relallvisible)::float8 / sum(relpages) AS share FROM pg_class
        WHERE relkind = 'r' AND relnamespace IN ($1::regnamespace, $2::regnamespace)`,
      [SCHEMA, ORIGINAL_SCHEMA],
    );
    return rows[0].share;
  } finally {
    await client.end();
  }
}

/** The cursor `listThreads` hands out for `page`, followed from the first page. */
async function cursorOfPage(threads: ThreadService, user: string, page: number): Promise<string> {
  let cursor: string | undefined;
  for (let p = 1; p < page; p += 1) {
    const next = (await threads.listThreads(user, { limit: PAGE_SIZE, cursor })).nextCursor;
    if (next === null) throw new Error(`${user} has fewer than ${page} pages`);
    cursor = next;
  }
  if (cursor === undefined) throw new Error('page 1 has no cursor');
  return cursor;
}

/** Times every operation of `operations` in one rotation; adds each one's samples to `runs`. */
async function timeRounds<K extends string>(
  operations: Record<K, Operation>,
  plan: SamplingPlan,
  runs: Record<K, number[][]>,
): Promise<void> {
  const keys = Object.keys(operations) as K[];
  const samples = await timeInRotation(
    keys.map((k) => operations[k]),
    plan,
  );
  keys.forEach((k, i) => (runs[k] ??= []).push(samples[i]));
}

/** Thread ids of a page, ours (`threadId`) or the original's (`thread_id`), in order. */
function ids(rows: readonly ({ threadId: string } | { thread_id: string })[]): string {
  return rows.map((r) => ('threadId' in r ? r.threadId : r.thread_id)).join(',');
}

/** What the database spent on the statements: execution time and the top node's buffers. */
function databaseCost(statements: readonly ExplainedStatement[]): string {
  return statements
    .map((s) => {
      const execution = /Execution Time: ([\d.]+) ms/.exec(s.plan)?.[1] ?? '?';
      const buffers = /Buffers: ([^\n]+)/.exec(s.plan)?.[1] ?? '?';
      return `${execution} ms, buffers ${buffers}`;
    })
    .join(' + ');
}

function explainBlock(title: string, statements: readonly ExplainedStatement[]): string[] {
  const body = statements.map((s) => `${s.text}\n\n${s.plan}`).join('\n\n');
  return [`${title}:`, '', '```text', body, '```', ''];
}

/** Issue 6, bench 3: listing at scale. */
export const listing: Scenario = {
  id: 'listing',
  number: 3,
  title: 'Listing at scale',
  baseline:
    "the original's `get_user_chat_threads` query (GROUP BY thread_id, correlated first prompt, " +
    'LIMIT/OFFSET) and `COUNT(DISTINCT thread_id)` on its one-row-per-run table, same history',
  async run(context): Promise<ScenarioResult> {
    const shape = context.quick ? QUICK : FULL;
    const database = await createBenchDatabase(context.serverUrl, 'listing');
    const originalPool = new pg.Pool({ connectionString: database.url, max: 2 });
    originalPool.on('error', () => undefined);
    let app: Awaited<ReturnType<typeof bootOurs>> | undefined;
    try {
      app = await bootOurs(database.url, SCHEMA); // migrates: our tables exist, empty
      const runs = shape.threads * shape.runsPerThread;
      context.progress(`seeding ${n(runs)} runs, ${n(shape.threads)} threads, ours and original's`);
      let allVisible = 0;
      const seedMs = await timed(async () => {
        allVisible = await seed(database, shape);
      });
      const threads = app.app.get(ThreadService);

      const listingSql = originalListingQuery(ORIGINAL_SCHEMA);
      const countSql = originalCountQuery(ORIGINAL_SCHEMA);
      const originalPage = async (user: string, offset: number) =>
        (
          await originalPool.query<{ thread_id: string }>(listingSql, [
            user,
            user,
            PAGE_SIZE,
            offset,
          ])
        ).rows;
      const originalCount = async (user: string) =>
        (await originalPool.query<{ total_threads: string }>(countSql, [user])).rows[0]
          .total_threads;

      const secondCursor = await cursorOfPage(threads, HEAVY_USER, 2);
      const deepCursor = await cursorOfPage(threads, HEAVY_USER, DEEP_PAGE);
      const ours: Record<OursKey, Operation> = {
        first: () => threads.listThreads(HEAVY_USER, { limit: PAGE_SIZE }),
        second: () => threads.listThreads(HEAVY_USER, { limit: PAGE_SIZE, cursor: secondCursor }),
        deep: () => threads.listThreads(HEAVY_USER, { limit: PAGE_SIZE, cursor: deepCursor }),
        byNumber: () => threads.listThreadsPage(HEAVY_USER, { page: DEEP_PAGE, limit: PAGE_SIZE }),
        count: () => threads.countThreads(HEAVY_USER),
        lightFirst: () => threads.listThreads(LIGHT_USER, { limit: PAGE_SIZE }),
        lightCount: () => threads.countThreads(LIGHT_USER),
      };
      const original: Record<OriginalKey, Operation> = {
        first: () => originalPage(HEAVY_USER, 0),
        deep: () => originalPage(HEAVY_USER, DEEP_OFFSET),
        count: () => originalCount(HEAVY_USER),
        lightFirst: () => originalPage(LIGHT_USER, 0),
        lightCount: () => originalCount(LIGHT_USER),
      };

      // Both must compute the same thing, or the comparison means nothing.
      const pageOf = async (op: Operation) => ids(((await op()) as ThreadListPage).items);
      const rowsOf = async (op: Operation) => ids((await op()) as { thread_id: string }[]);
      const checks: [string, string, string][] = [
        ['first page', await pageOf(ours.first), await rowsOf(original.first)],
        ['deep page', await pageOf(ours.deep), await rowsOf(original.deep)],
        ['page by number', await pageOf(ours.byNumber), await rowsOf(original.deep)],
        ['count', String(await ours.count()), String(await original.count())],
        ['light first page', await pageOf(ours.lightFirst), await rowsOf(original.lightFirst)],
        ['light count', String(await ours.lightCount()), String(await original.lightCount())],
      ];
      for (const [what, mine, theirs] of checks) {
        if (mine !== theirs || mine === '') {
          throw new Error(`ours and the original's differ on the ${what}: ${mine} vs ${theirs}`);
        }
      }

      const rounds = context.quick ? 1 : 5;
      const oursRuns = {} as Record<OursKey, number[][]>;
      const originalRuns = {} as Record<OriginalKey, number[][]>;
      for (let r = 0; r < rounds; r += 1) {
        context.progress(`round ${r + 1}/${rounds}`);
        await timeRounds(ours, { warmup: 5, iterations: context.quick ? 5 : 40 }, oursRuns);
        await timeRounds(original, { warmup: 1, iterations: context.quick ? 1 : 4 }, originalRuns);
      }
      const o = (k: OursKey): Summary => summarizeRuns(oursRuns[k]);
      const b = (k: OriginalKey): Summary => summarizeRuns(originalRuns[k]);
      const statements = async (k: OursKey) => (await statementsSentBy(ours[k])).length;
      const row = async (label: string, k: OursKey, against: OriginalKey) => [
        label,
        ms(o(k).median),
        ms(o(k).p95),
        ms(b(against).median),
        ms(b(against).p95),
        ratio(speedup(o(k).median, b(against).median, 'lower')),
        `${await statements(k)} / 1`,
      ];
      const headers = [
        'operation',
        'ours median',
        'ours p95',
        'original median',
        'original p95',
        'speed-up (median)',
        'statements ours / original',
      ];

      context.progress('EXPLAIN (ANALYZE, BUFFERS)');
      const plans = {
        first: await explainWhatRuns(database, ours.first),
        deep: await explainWhatRuns(database, ours.deep),
        count: await explainWhatRuns(database, ours.count),
        originalFirst: await explainWhatRuns(database, original.first),
        originalDeep: await explainWhatRuns(database, original.deep),
        originalCount: await explainWhatRuns(database, original.count),
      };

      const depth = o('deep').median / o('first').median;
      const deepSpeedup = speedup(o('deep').median, b('deep').median, 'lower');
      const samples = `${o('first').n} samples of ours and ${b('first').n} of the original's each`;
      return {
        tables: [
          {
            title: `User with ${n(shape.heavyThreads)} threads (${n(shape.heavyThreads * shape.runsPerThread)} runs), loopback`,
            headers,
            rows: [
              await row(`first page (limit ${PAGE_SIZE})`, 'first', 'first'),
              await row(
                `page ${DEEP_PAGE} (after ${n(DEEP_OFFSET)} threads): \`listThreads\` with the cursor`,
                'deep',
                'deep',
              ),
              await row(
                `page ${DEEP_PAGE} by number: \`listThreadsPage\` (OFFSET ${DEEP_OFFSET}, and the total)`,
                'byNumber',
                'deep',
              ),
              await row('count of threads', 'count', 'count'),
            ],
          },
          {
            title: `User with ${n(shape.lightThreads)} threads (${n(shape.lightThreads * shape.runsPerThread)} runs), same database`,
            headers,
            rows: [
              await row(`first page (limit ${PAGE_SIZE})`, 'lightFirst', 'lightFirst'),
              await row('count of threads', 'lightCount', 'lightCount'),
            ],
          },
        ],
        notes: [
          `History: ${n(runs)} runs over ${n(shape.threads)} threads (${shape.runsPerThread} each) of ` +
            `${n(shape.users)} users; one has ${n(shape.heavyThreads)} threads, one ${n(shape.lightThreads)}, ` +
            "the others share the rest, everyone's threads interleaved in time. Seeded with set-based " +
            '`INSERT ... SELECT generate_series` into our tables as the migrations create them, copied ' +
            "into the original's one-row-per-run table with its three indexes (`reference/original.md` " +
            `section 3), then \`VACUUM (ANALYZE)\` (${(allVisible * 100).toFixed(0)}% of pages ` +
            `all-visible after it): ${(seedMs / 1000).toFixed(0)} s.`,
          '',
          'Ours is `ThreadService` in a booted application context (Kysely, retry policy); the ' +
            "original's queries run on a plain pg pool. Warm cache. In each of " +
            `${rounds} rounds, our operations are timed in one rotation, then the original's in ` +
            `another: median of the rounds' medians, p95 of all samples (${samples}). ` +
            "Before timing, the bench checks that ours and the original's list the same threads in " +
            'the same order on every page measured, and count the same.',
          '',
          '**Goals**',
          '',
          `- ${depth <= 1.5 ? 'MET' : 'NOT MET'}: page ${DEEP_PAGE} costs at most 1.5x the first page: ` +
            `${factor(depth)} (${ms(o('deep').median)} vs ${ms(o('first').median)})`,
          `- ${deepSpeedup >= 20 ? 'MET' : 'NOT MET'}: page ${DEEP_PAGE} at least 20x cheaper than the ` +
            `original's query on the same page: ${ratio(deepSpeedup)} ` +
            `(${ms(o('deep').median)} vs ${ms(b('deep').median)})`,
          '',
          `Cost does not grow with the user's history: our first page costs ` +
            `${factor(o('first').median / o('lightFirst').median)} as much for the user with ` +
            `${n(shape.heavyThreads)} threads as for the one with ${n(shape.lightThreads)}; the ` +
            `original's, ${factor(b('first').median / b('lightFirst').median)}.`,
          '',
          `Page 2 costs ${ms(o('second').median)} (median, same rotation), page ${DEEP_PAGE} ` +
            `${ms(o('deep').median)}. In the database (the plans below): first page ` +
            `${databaseCost(plans.first)}; page ${DEEP_PAGE} ${databaseCost(plans.deep)}; count ` +
            `${databaseCost(plans.count)}. What any page after the first costs above the first page ` +
            'is its larger statement (decoding the cursor, building and planning the keyset ' +
            'statement with its check for threads moved since the first page), not its depth.',
          '',
          `**EXPLAIN (ANALYZE, BUFFERS) of ours**, user with ${n(shape.heavyThreads)} threads: the ` +
            'statements `ThreadService` sent, run again under EXPLAIN.',
          '',
          ...explainBlock('`listThreads`, first page', plans.first),
          ...explainBlock(`\`listThreads\`, page ${DEEP_PAGE} (with the cursor)`, plans.deep),
          ...explainBlock('`countThreads`', plans.count),
          "<details><summary>The original's plans, same user (for reference)</summary>",
          '',
          ...explainBlock('First page (OFFSET 0)', plans.originalFirst),
          ...explainBlock(`Page ${DEEP_PAGE} (OFFSET ${DEEP_OFFSET})`, plans.originalDeep),
          ...explainBlock('`COUNT(DISTINCT thread_id)`', plans.originalCount),
          '</details>',
        ],
      };
    } finally {
      await originalPool.end();
      await app?.close();
      await database.drop();
    }
  },
};
