/**
 * Scenario 5 of the resilience issue, through PgBouncer in transaction mode (run by
 * `npm run test:pgbouncer`): its server connections terminated with `pg_terminate_backend` under
 * load. Same guarantees as scenario 2: every invocation completes and every checkpoint
 * acknowledged to the caller is readable afterwards.
 */
import type { INestApplicationContext } from '@nestjs/common';
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import pg from 'pg';
import { PoolManager, RetryPolicy, getCheckpointerToken } from '../../../src/checkpointer';
import { useCheckpointerDatabase } from '../../support/checkpointer-fixture';
import {
  expectedConversation,
  recordAcknowledgedPuts,
  runConversations,
  say,
  unreadable,
} from '../../support/graphs';
import { pgbouncerUrl } from '../../support/pooler';

// The fixture's connection string is routed through PgBouncer by the harness.
const fixture = useCheckpointerDatabase('pooler_faults');
let app: INestApplicationContext;

beforeAll(async () => {
  app = await fixture.boot({ schema: 'pooler', retry: { maxAttempts: 8, budgetMs: 30_000 } });
});

/** Runs `SHOW <what>` on PgBouncer's admin console. */
async function showOnPgbouncer(what: 'CONFIG' | 'CLIENTS'): Promise<Record<string, unknown>[]> {
  const url = new URL(pgbouncerUrl());
  url.pathname = '/pgbouncer';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    // The admin console speaks the simple protocol only.
    return (await admin.query({ text: `SHOW ${what}`, queryMode: 'simple' } as pg.QueryConfig))
      .rows as Record<string, unknown>[];
  } finally {
    await admin.end();
  }
}

/** Terminates every server connection PgBouncer holds to the test fixture.database. */
async function terminateServerConnections(): Promise<number> {
  const { rows } = await fixture.database.query<{ n: string }>(
    `SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
  );
  return Number(rows[0].n);
}

it('runs through PgBouncer in transaction mode', async () => {
  const config = await showOnPgbouncer('CONFIG');
  expect(config.find((row) => row.key === 'pool_mode')?.value).toBe('transaction');
  await app.get<BaseCheckpointSaver>(getCheckpointerToken()).getTuple({
    configurable: { thread_id: 'warm-up' },
  });
  const clients = await showOnPgbouncer('CLIENTS');
  expect(clients.some((client) => client.database === fixture.database.name)).toBe(true);
});

it('5. server connections terminated under load: all invocations complete, every acknowledged checkpoint is readable', async () => {
  const saver = app.get<BaseCheckpointSaver>(getCheckpointerToken());
  const policy = app.get(RetryPolicy);
  const terminations: Promise<number>[] = [];
  const terminateAt = new Set([15, 60, 120]);
  const acknowledged = recordAcknowledgedPuts(saver, (n) => {
    if (terminateAt.has(n)) terminations.push(terminateServerConnections());
  });

  const results = await runConversations(saver, { threads: 20, turns: 2, prefix: 'bouncer' });

  expect(results.size).toBe(20);
  for (const [threadId, messages] of results) {
    expect(messages).toEqual(expectedConversation(2, (turn) => say(threadId, turn)));
  }
  const terminated = (await Promise.all(terminations)).reduce((a, b) => a + b, 0);
  expect(terminated).toBeGreaterThan(0);
  expect(policy.givenUp).toBe(0);
  await expect(unreadable(saver, acknowledged)).resolves.toEqual([]);
  // Terminations hit transactions in flight (else this test proves nothing), and they were retried.
  expect(policy.retries).toBeGreaterThan(0);
  expect(app.get(PoolManager).stats().waiting).toBe(0);
});
