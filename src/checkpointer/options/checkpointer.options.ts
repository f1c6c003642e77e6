import type { SerializerProtocol } from '@langchain/langgraph-checkpoint';
import type { ConnectionOptions as TlsOptions } from 'node:tls';

/**
 * What `SchemaService` does with the database schema at boot.
 * - `'run'`: bring it up to date, under an advisory lock (safe with many replicas booting at once).
 * - `'verify'`: fail the boot with a clear message if it is not current (for deployments that
 *   migrate in a separate step, or run as a role without DDL rights).
 * - `'skip'`: do nothing; you take responsibility for the schema.
 */
export type MigrationsMode = 'run' | 'verify' | 'skip';

/**
 * What happens when PostgreSQL cannot be reached at boot after the startup retries.
 * - `'none'`: the boot fails with `CheckpointerConnectionError`.
 * - `'memory'`: the module logs a loud warning and provides an in-memory saver. Conversations are
 *   lost on restart and the health indicator reports the module down. Opt-in only.
 *
 * A server that refuses the connection for good (wrong password, no pg_hba.conf entry, no such
 * database, no CONNECT right) fails the boot at once, without retries and whatever this says: it
 * is a configuration mistake, which an in-memory saver would only hide.
 */
export type FallbackMode = 'none' | 'memory';

/**
 * Whether the module's hot statements run as named prepared statements (`preparedStatements`).
 * - `'auto'`: on when the module reaches PostgreSQL directly, off behind a pooler.
 * - `'on'`: always, e.g. behind PgBouncer 1.21 or later with `max_prepared_statements` set.
 * - `'off'`: never (every statement unnamed, as upstream sends them).
 */
export type PreparedStatementsMode = 'auto' | 'on' | 'off';

/** Settings of the one `pg.Pool` the module owns. */
export interface CheckpointerPoolOptions {
  /** Most connections open at once. Budget it against `max_connections` × replicas. Default: `10`. */
  max?: number;
  /**
   * Connections exempt from idle eviction. pg does not pre-open them; they are kept once opened.
   * Default: `0`.
   */
  min?: number;
  /** Close a connection after it has been idle this long; `0` never closes idle ones. Default: `10_000`. */
  idleTimeoutMs?: number;
  /**
   * Retire a connection after this many seconds, so a failover or DNS change is picked up and
   * server-side idle killers are outrun. `0` disables. Default: `1800`.
   */
  maxLifetimeSeconds?: number;
  /**
   * Longest wait for a connection from the pool (including opening a new one) before the
   * operation fails. Must be finite: pg's own default of waiting forever hides outages.
   * Default: `10_000`.
   */
  acquireTimeoutMs?: number;
}

/** Settings of each connection to PostgreSQL. */
export interface CheckpointerConnectionSettings {
  /** Longest time to establish one connection (TCP + TLS + authentication). Default: `10_000`. */
  connectTimeoutMs?: number;
  /** TCP keepalive, so dead peers behind NATs and load balancers are noticed. Default: `true`. */
  keepAlive?: boolean;
  /** Idle time before the first keepalive probe. Default: `10_000`. */
  keepAliveInitialDelayMs?: number;
  /**
   * Server-side `statement_timeout` sent as a startup parameter. Default: unset (the server's).
   * Transaction poolers such as PgBouncer reject unknown startup parameters unless listed in
   * `ignore_startup_parameters`; prefer a role-level setting there.
   */
  statementTimeoutMs?: number;
  /**
   * Server-side `idle_in_transaction_session_timeout` sent as a startup parameter, so a stuck
   * transaction cannot hold locks and a connection forever. Default: unset (the server's). Same
   * pooler caveat as `statementTimeoutMs`.
   */
  idleInTransactionSessionTimeoutMs?: number;
  /**
   * `application_name` of every connection, to find this process's backends in
   * `pg_stat_activity`. Default: `checkpointer-<pid>-<6 random hex digits>`, unique per module
   * instance.
   */
  applicationName?: string;
}

/** Retry of transient database errors (connection loss, failover, serialization failures). */
export interface CheckpointerRetryOptions {
  /** Attempts in all, the first included; `1` disables retries. Default: `4`. */
  maxAttempts?: number;
  /** Base of the exponential backoff; each delay is drawn from `[0, base × 2^n]` (full jitter). Default: `50`. */
  baseDelayMs?: number;
  /** Cap of any single backoff delay. Default: `2_000`. */
  maxDelayMs?: number;
  /** Total time budget across attempts; no new attempt starts after it. Default: `10_000`. */
  budgetMs?: number;
}

/** Settings of `ThreadService`, `ThreadTurns` and `SentimentService`. */
export interface CheckpointerThreadsOptions {
  /** Longest prompt `recordRun` accepts, in characters. Default: `100_000`. */
  maxPromptLength?: number;
  /**
   * Let `recordRun` create a thread that does not exist yet, owned by the caller, instead of
   * throwing `ThreadNotFoundError`. The original service worked this way, with ids chosen by the
   * client. The trade-off: ids become one namespace shared by all users, so a user learns that an
   * id is taken (someone else's thread answers "not found" where a fresh id would be created) and
   * can claim ids another user is about to use. Enable it only with unguessable ids (random
   * UUIDs); otherwise create threads with `createThread()`, which generates them. Default: `false`.
   */
  createOnFirstRun?: boolean;
  /**
   * How long a deleted thread's id stays unusable: while its deletion marker lasts, no
   * checkpoint, write or run can be recorded on it, by anyone (a graph still running on it ends
   * with `ThreadDeletedError`). Afterwards the id may be used again. Default: `30`.
   */
  deletedRetentionDays?: number;
  /**
   * Lease of a running turn (`ThreadTurns.run`), renewed every third of it while the turn runs.
   * A process that dies mid-turn holds its thread at most this long. Default: `15_000`.
   */
  turnLeaseMs?: number;
  /** Longest a turn waits for the thread's running turn to end (`ifBusy: 'wait'`). Default: `30_000`. */
  turnWaitMs?: number;
  /**
   * Most turns of one thread waiting in one process; one more is refused at once with
   * `ThreadBusyError` (a flood queues nowhere). Default: `16`.
   */
  maxTurnWaiters?: number;
}

/**
 * Retention (`RetentionService`): what is pruned and deleted, on a schedule and by hand. Off by
 * default: with no policy set nothing is ever deleted on a schedule. Every deletion takes the
 * thread's lock, so it is safe while graphs write (see the README's "Retention").
 */
export interface CheckpointerRetentionOptions {
  /**
   * Keep the latest this many checkpoints of every namespace of every thread (subgraphs
   * included); older ones go, with their pending writes and the blobs no kept checkpoint
   * references. The thread still resumes exactly as before. Default: none (all are kept).
   */
  keepLatestCheckpoints?: number;
  /**
   * Delete checkpoints older than this many days (by the `ts` LangGraph writes into each), the
   * latest of each namespace excepted: an old conversation keeps its state until
   * `threadInactiveDays`. Default: none.
   */
  checkpointMaxAgeDays?: number;
  /**
   * Delete whole threads with no activity (no run recorded, no checkpoint written) for this many
   * days: a thread of `ThreadService` as `deleteThread` deletes it (runs, deletion marker), a bare
   * checkpoint thread as `PostgresCheckpointer.deleteThread` does. Default: none.
   */
  threadInactiveDays?: number;
  /**
   * How often the cluster sweeps when a policy is set: one replica at a time, at most once per
   * interval whichever replicas run. `0`: never on a schedule, only when `sweep()` is called;
   * otherwise at least `1_000`. Default: `3_600_000` (hourly).
   */
  intervalMs?: number;
  /**
   * The work between two pauses: a sweep or prune pauses after deleting this many checkpoints
   * (one statement never deletes more) or reading this many threads. Default: `500`.
   */
  batchSize?: number;
  /** The pause between two batches, which leaves the database room for the application. Default: `100`. */
  batchPauseMs?: number;
  /**
   * Lease of the sweeping replica, renewed every third of it while it sweeps; a replica that dies
   * mid-sweep is taken over after at most this long. Default: `60_000`.
   */
  leaseMs?: number;
}

/**
 * Options of `CheckpointerModule.forRoot()` / `forRootAsync()`.
 *
 * Give the target either as `connectionString` or as discrete `host`/`port`/`user`/`password`/
 * `database` fields (not both). `checkpointerOptionsFromEnv()` builds these from `DATABASE_URL`
 * or the standard `PG*` variables.
 *
 * @example
 * CheckpointerModule.forRoot({ connectionString: 'postgres://app@db:5432/app', schema: 'agents' })
 */
export interface CheckpointerModuleOptions {
  /**
   * A `postgres://` URL. Query parameters such as `sslmode` are honoured; a Unix socket is
   * `postgresql:///app?host=/var/run/postgresql`. Default: none.
   */
  connectionString?: string;
  /**
   * Server host name, IP address, or Unix socket directory (e.g. `/var/run/postgresql`: on the
   * database's own host, a socket skips the TCP stack). Default: none.
   */
  host?: string;
  /** Server port. Default: `5432`. */
  port?: number;
  /** Role to connect as. Default: none. */
  user?: string;
  /** Password, or a function returning one (e.g. a short-lived IAM token). Never logged. Default: none. */
  password?: string | (() => string | Promise<string>);
  /** Database name. Default: none. */
  database?: string;
  /** TLS: `true`, or Node `tls` options (`ca`, `rejectUnauthorized`, ...). Default: `false`. */
  ssl?: boolean | TlsOptions;
  /**
   * Schema of every table the module uses, created if missing. Any PostgreSQL identifier, used as
   * given and always quoted (`'agents'`, `'custom-schema'`, `'Mixed Case'`, `'ünïcødé'`): 1-63
   * bytes of UTF-8, no NUL character. A double quote is refused: upstream `PostgresSaver` puts the
   * name inside `"..."` without escaping it. Default: `'public'`.
   */
  schema?: string;
  /** Pool settings. */
  pool?: CheckpointerPoolOptions;
  /** Per-connection settings. */
  connection?: CheckpointerConnectionSettings;
  /** What to do with the schema at boot. Default: `'run'`. */
  migrations?: MigrationsMode;
  /**
   * A direct (non-pooled) URL for migrations and their advisory lock, for deployments whose main
   * target is a transaction pooler (PgBouncer, Supavisor), where session locks do not hold.
   * Default: the main target.
   */
  migrationConnectionString?: string;
  /**
   * Longest wait at boot for the migration lock (`pg_advisory_lock`), which another replica holds
   * while it migrates. While waiting, the holder is logged at WARN (after 1 s, then every 10 s);
   * past it, the boot fails with `MigrationLockTimeoutError` naming the holder and how to find
   * it. Default: `60_000`.
   */
  migrationLockTimeoutMs?: number;
  /**
   * Run the saver's hot statements (`getTuple`, `list`, `put`, `putWrites`) and the frequent
   * statements of `ThreadService` and `ThreadTurns` as named prepared statements, so PostgreSQL
   * parses and plans each shape once per connection instead of at every call (about 40% of its
   * CPU per graph turn on the bench). Your own queries through the module's Kysely are never named.
   *
   * - `'auto'`: on for a direct connection, off behind a pooler. A pooler in transaction mode
   *   (PgBouncer before 1.21, Supavisor, RDS Proxy) hands each transaction to any server
   *   connection, where a statement prepared through another one does not exist. The module
   *   takes it as behind a pooler when `migrationConnectionString` is set (its only use is a
   *   pooler in front of the main target: the README tells pooler users to set it), or when a
   *   connection's backend key (the process id PostgreSQL sends at startup) is not the process id
   *   of the backend that answers, which is how every pooler shows itself: it answers the startup
   *   with a key of its own, because the backend behind a client changes. It decides at the boot
   *   ping (rechecked at every health ping); until then statements are unnamed. (Set for another
   *   reason, such as a role with DDL rights on a direct target, `migrationConnectionString`
   *   still means off: use `'on'` then.)
   * - `'on'`: always, for a pooler that supports them: PgBouncer 1.21 or later with
   *   `max_prepared_statements` > 0, or a session-mode pooler.
   * - `'off'`: never.
   *
   * Safe either way: a prepared-statement conflict (`26000`, `42P05`: a pooler in between after
   * all) turns them off for the module's pool, logged once at WARN, and the statement is sent again
   * unnamed; a plan gone stale after a schema change (`0A000`) is retried on a fresh connection.
   * Bounded: a connection prepares at most 64 statement shapes (statement text varies with the
   * number of channels, writes and filters), later ones are sent unnamed. Default: `'auto'`.
   */
  preparedStatements?: PreparedStatementsMode;
  /**
   * Extra connection attempts at boot when the database is unreachable. A server that answers
   * and refuses for good (28P01 wrong password, 28000 no pg_hba.conf entry or no such role,
   * 3D000 no such database, 42501 no CONNECT privilege) is not retried: the boot fails at once,
   * saying what to check (`CheckpointerConnectionError` with `permanent: true`). Default: `5`.
   */
  retryAttempts?: number;
  /** Pause between boot connection attempts. Default: `2_000`. */
  retryDelayMs?: number;
  /** What to do when the database stays unreachable at boot. Default: `'none'` (fail). */
  fallback?: FallbackMode;
  /** Log through Nest `Logger` with the context `CheckpointerModule`; `false` silences it. Default: `true`. */
  logger?: boolean;
  /** Serializer for checkpoint values. Default: LangGraph's `JsonPlusSerializer`. */
  serde?: SerializerProtocol;
  /** Retry of transient database errors. */
  retry?: CheckpointerRetryOptions;
  /**
   * Extra classifier: return `true` to treat an error the module considers permanent as
   * transient (retried), or to opt `PoolExhaustedError` in to retries (off by default: retrying
   * adds load to a saturated pool). It cannot make a transient error permanent. Default: none.
   *
   * @example isTransient: (error) => (error as { code?: string }).code === '25006' // read-only replica
   */
  isTransient?: (error: unknown) => boolean;
  /** Thread and sentiment services. */
  threads?: CheckpointerThreadsOptions;
  /** Pruning and TTL sweeps of checkpoints and threads. Off by default. */
  retention?: CheckpointerRetentionOptions;
}

/** The options after validation, with every default applied. */
export interface ResolvedCheckpointerOptions {
  readonly target: ResolvedTarget;
  readonly schema: string;
  readonly pool: Readonly<Required<CheckpointerPoolOptions>>;
  readonly connection: Readonly<
    Required<
      Omit<
        CheckpointerConnectionSettings,
        'statementTimeoutMs' | 'idleInTransactionSessionTimeoutMs'
      >
    >
  > &
    Readonly<
      Pick<
        CheckpointerConnectionSettings,
        'statementTimeoutMs' | 'idleInTransactionSessionTimeoutMs'
      >
    >;
  readonly migrations: MigrationsMode;
  readonly migrationConnectionString: string | undefined;
  readonly migrationLockTimeoutMs: number;
  readonly preparedStatements: PreparedStatementsMode;
  readonly retryAttempts: number;
  readonly retryDelayMs: number;
  readonly fallback: FallbackMode;
  readonly logger: boolean;
  readonly serde: SerializerProtocol | undefined;
  readonly retry: Readonly<Required<CheckpointerRetryOptions>>;
  readonly isTransient: ((error: unknown) => boolean) | undefined;
  readonly threads: Readonly<Required<CheckpointerThreadsOptions>>;
  readonly retention: ResolvedRetentionOptions;
}

/** `retention` after validation: the policies as given (absent: off), the rest defaulted. */
export type ResolvedRetentionOptions = Readonly<
  Pick<
    CheckpointerRetentionOptions,
    'keepLatestCheckpoints' | 'checkpointMaxAgeDays' | 'threadInactiveDays'
  > &
    Required<
      Omit<
        CheckpointerRetentionOptions,
        'keepLatestCheckpoints' | 'checkpointMaxAgeDays' | 'threadInactiveDays'
      >
    >
>;

/** Where to connect, as given: a URL or discrete fields. */
export interface ResolvedTarget {
  readonly connectionString?: string;
  readonly host?: string;
  readonly port?: number;
  readonly user?: string;
  readonly password?: string | (() => string | Promise<string>);
  readonly database?: string;
  readonly ssl?: boolean | TlsOptions;
}
