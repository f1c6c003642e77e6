/**
 * Prepared statements behind PgBouncer 1.18 in transaction mode (run by `npm run test:pgbouncer`),
 * which mixes server sessions between transactions and does not track named statements: `'auto'`
 * keeps them off (declared by `migrationConnectionString`, or detected at the boot ping), and
 * `'on'` meets the real failure (26000 / 42P05) and degrades to unnamed statements, losing nothing.
 */
import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  CHECKPOINTER_LOG_CONTEXT,
  CheckpointerModule,
  RetryPolicy,
  getCheckpointerToken,
} from '../../../src/checkpointer';
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import { useCheckpointerDatabase } from '../../support/checkpointer-fixture';
import {
  expectedConversation,
  recordAcknowledgedPuts,
  runConversations,
  say,
  unreadable,
} from '../../support/graphs';
import { LogCapture } from '../../support/log-capture';
import { throughPgbouncer } from '../../support/pooler';

const SCHEMA = 'bounced';
// The fixture's connection string is routed through PgBouncer by the harness (migrations direct).
const fixture = useCheckpointerDatabase('prepared_pgbouncer', { schema: SCHEMA });

function preparedState(app: INestApplicationContext) {
  return app.get(CheckpointerModule).metrics().preparedStatements;
}

it("'auto' with migrationConnectionString (the README's pooler setup): off", async () => {
  const app = await fixture.boot();
  expect(preparedState(app)).toEqual({
    mode: 'auto',
    active: false,
    reason: 'migrationConnectionString is set: the main target is a pooler',
  });
});

it("'auto' without it: the boot ping sees PgBouncer's own backend key, off", async () => {
  await fixture.close(await fixture.boot()); // migrated, directly
  const moduleRef = await Test.createTestingModule({
    imports: [
      CheckpointerModule.forRoot({
        connectionString: throughPgbouncer(fixture.database.url),
        schema: SCHEMA,
        // No session lock through the pooler: the schema is already current.
        migrations: 'skip',
        logger: false,
      }),
    ],
  }).compile();
  const app = await moduleRef.init();
  try {
    expect(preparedState(app)).toEqual({
      mode: 'auto',
      active: false,
      reason: 'a pooler answers: the backend key is not the process id of the backend',
    });
    const results = await runConversations(app.get<BaseCheckpointSaver>(getCheckpointerToken()), {
      threads: 4,
      turns: 2,
      prefix: 'detected',
    });
    expect(results.size).toBe(4);
  } finally {
    await app.close();
  }
});

it("'on' (wrong for PgBouncer 1.18): the first conflict turns them off with one WARN, every invocation completes", async () => {
  const logs = new LogCapture();
  const app = await fixture.boot(
    { preparedStatements: 'on', logger: true, pool: { max: 8 } },
    { logger: logs },
  );
  const saver = app.get<BaseCheckpointSaver>(getCheckpointerToken());
  const acknowledged = recordAcknowledgedPuts(saver);

  const results = await runConversations(saver, { threads: 20, turns: 3, prefix: 'on' });

  for (const [threadId, messages] of results) {
    expect(messages).toEqual(expectedConversation(3, (turn) => say(threadId, turn)));
  }
  await expect(unreadable(saver, acknowledged)).resolves.toEqual([]);
  const state = preparedState(app);
  expect(state.active).toBe(false);
  expect(state.reason).toMatch(/prepared-statement conflict \((26000|42P05)\)/);
  const warnings = logs
    .of(CHECKPOINTER_LOG_CONTEXT)
    .filter((line) => line.level === 'warn' && /prepared statements: off/.test(line.message));
  expect(warnings).toHaveLength(1);
  expect(app.get(RetryPolicy).givenUp).toBe(0);
});
