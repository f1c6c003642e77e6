import type { Kysely } from 'kysely';
import type { CheckpointerDatabase } from '../schema/database';
import { insertRunCreatingThread, insertRunOnOwnedThread } from './record-run.query';
import { selectSentiments } from './sentiment.query';
import { selectThreadDetail } from './thread-detail.query';
import { selectFirstPage, selectThreadCount, selectUnchangedPage } from './thread-listing.query';
import {
  acquireTurnLease,
  releaseTurnLease,
  renewTurnLease,
  selectTurnAdmission,
} from './thread-turns.query';

/**
 * The exact SQL texts of the statements `ThreadTurns`, `ThreadService` and `SentimentService`
 * send at every turn (admission, lease, renewal, release, `recordRun`) and of their frequent
 * reads (`getThread`, `listThreads`, `countThreads`, `getSentiments`), for the pool to run as
 * prepared statements (`PreparedStatements.allow`). Kysely's text depends on a query's shape and
 * the schema, never on its values: compiled once here with placeholder values, they are the texts
 * `db` sends. Rare statements (deletion, renaming, merged listing pages) stay unnamed.
 */
export function frequentThreadStatements(
  db: Kysely<CheckpointerDatabase>,
  schema: string,
): string[] {
  const run = { userEmail: '', threadId: '', prompt: '', runId: '', title: '' };
  const cursor = { asOf: '', activityAt: '', threadId: '' };
  return [
    selectTurnAdmission(db, ''),
    acquireTurnLease(db, schema, '', '', 1000),
    renewTurnLease(db, '', '', 1000),
    releaseTurnLease(db, '', ''),
    insertRunOnOwnedThread(db, schema, run),
    insertRunCreatingThread(db, schema, run),
    selectThreadDetail(db, '', ''),
    selectFirstPage(db, '', 1),
    selectUnchangedPage(db, '', cursor, 1),
    selectThreadCount(db, ''),
    selectSentiments(db, '', ''),
  ].map((query) => query.compile().sql);
}
