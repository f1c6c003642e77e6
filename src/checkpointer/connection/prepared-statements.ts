import { createHash } from 'node:crypto';
import type { CheckpointerLogger } from '../common/checkpointer.logger';
import type { PreparedStatementsMode } from '../options/checkpointer.options';

/**
 * Most statement shapes (distinct texts) one connection prepares; later ones are sent unnamed.
 * pg keeps every named statement of a connection for the connection's lifetime, on both sides:
 * its text in `connection.parsedStatements`, and in the backend the parsed query with its plans,
 * 10 to 100 kB each for the module's statements (PostgreSQL 15, `pg_backend_memory_contexts`:
 * the 13 of a graph turn plus a `ThreadTurns` turn hold 0.75 MB). A graph needs a handful (the
 * bench's two-step graph: six), plus one per other number of channels or writes it saves and per
 * `list` filter; 64 covers a dozen such graphs, and bounds a backend at about 6 MB (the order of
 * one `work_mem`) however varied the graphs, until `pool.maxLifetimeSeconds` retires it.
 */
export const PREPARED_SHAPES_PER_CONNECTION = 64;

const PREPARABLE = Symbol('checkpointer.preparable');

/** A query config marked as one of the module's hot statements: the pool may name it. */
export type PreparableQuery<C> = C & { readonly [PREPARABLE]: true };

/**
 * Marks `config` (text and values) as a statement the module sends often, which the pool's
 * connections may prepare under a name (see `PreparedStatements`). Unmarked statements are
 * always sent unnamed, as pg sends them.
 */
export function preparable<C extends { readonly text: string }>(config: C): PreparableQuery<C> {
  return { ...config, [PREPARABLE]: true };
}

/** Whether `config` was marked by `preparable()`. */
export function isPreparable(config: unknown): boolean {
  return typeof config === 'object' && config !== null && PREPARABLE in config;
}

/**
 * The name a statement is prepared under: derived from its text alone (96 bits of its SHA-256),
 * so one name means one text on every connection and every server. Behind a pooler that mixes
 * sessions, a name prepared by another client therefore still runs the right statement.
 */
export function statementName(text: string): string {
  return `cp_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
}

/** Whether prepared statements are in use, and why; for metrics and logs. */
export interface PreparedStatementsState {
  /** The option as configured. */
  readonly mode: PreparedStatementsMode;
  /** Whether connections name the module's hot statements now. */
  readonly active: boolean;
  /** Why they are on or off, e.g. `'a pooler answers (backend key is not the backend)'`. */
  readonly reason: string;
}

/**
 * The module's decision on named prepared statements, one per `PoolManager` (it outlives pool
 * replacements): which statements may be named, whether connections name them now, and when a
 * schema change has made the plans prepared so far stale. Each guarded connection asks it before
 * naming a statement and keeps its own bounded set of names (`PREPARED_SHAPES_PER_CONNECTION`).
 *
 * `'auto'` starts undecided (unnamed) unless `migrationConnectionString` declares a pooler, and
 * decides at the first `observeBackend()` (the boot ping). Whatever the mode, a conflict
 * (`conflict()`) turns them off for good, with one WARN.
 */
export class PreparedStatements {
  private target: 'direct' | 'pooler' | undefined;
  private disabledBy: string | undefined;
  private epoch = 0;
  private readonly allowed = new Set<string>();
  /** `statementName` of recent texts: hashing a 2 kB statement at every call cost ~1% of a turn's Node CPU. */
  private readonly names = new Map<string, string>();

  constructor(
    readonly mode: PreparedStatementsMode,
    /** `migrationConnectionString` is set: the main target is a pooler. */
    private readonly declaredPooler: boolean,
    private readonly logger: CheckpointerLogger,
  ) {}

  /** Whether connections name the module's hot statements now. */
  get active(): boolean {
    if (this.mode === 'off' || this.disabledBy !== undefined) return false;
    if (this.mode === 'on') return true;
    return !this.declaredPooler && this.target === 'direct';
  }

  /**
   * Bumped when a prepared plan turned out stale after a schema change: connections that
   * prepared statements before the bump are discarded instead of reused.
   */
  get planEpoch(): number {
    return this.epoch;
  }

  get state(): PreparedStatementsState {
    return { mode: this.mode, active: this.active, reason: this.reason() };
  }

  /**
   * Statement texts the pool may name although nobody marks them (`preparable()`): the exact
   * texts of the module's frequent Kysely statements, compiled once at boot.
   */
  allow(texts: Iterable<string>): void {
    for (const text of texts) this.allowed.add(text);
  }

  /** Whether a statement with this text (and this config, maybe marked) may be named. */
  wants(text: string, config?: unknown): boolean {
    return isPreparable(config) || this.allowed.has(text);
  }

  /**
   * `statementName(text)`, remembered for the most recent texts (at most four times the shapes one
   * connection may prepare, so the cache stays bounded whatever the variety of graphs).
   */
  nameOf(text: string): string {
    let name = this.names.get(text);
    if (name === undefined) {
      name = statementName(text);
      if (this.names.size >= 4 * PREPARED_SHAPES_PER_CONNECTION) {
        // Maps iterate in insertion order: forget the oldest.
        this.names.delete(this.names.keys().next().value as string);
      }
      this.names.set(text, name);
    }
    return name;
  }

  /**
   * What one connection learnt at startup and from `pg_backend_pid()`: PostgreSQL sends a
   * connection its own backend's process id in BackendKeyData; a pooler sends a key of its own
   * (the backend behind a client changes), so the two differ. Only `'auto'` listens.
   */
  observeBackend(keyProcessId: number | undefined, backendPid: number): void {
    if (this.mode !== 'auto' || this.declaredPooler || this.target === 'pooler') return;
    if (keyProcessId === backendPid) {
      if (this.target === undefined) {
        this.target = 'direct';
        this.logger.log(`prepared statements: on (${this.reason()})`);
      }
      return;
    }
    const wasActive = this.active;
    this.target = 'pooler';
    const line = `prepared statements: off (${this.reason()})`;
    if (wasActive) this.logger.warn(line);
    else this.logger.log(line);
  }

  /**
   * A named statement met a prepared-statement conflict (`26000`, `42P05`): something between us
   * and PostgreSQL mixes sessions. Off for good, logged once.
   */
  conflict(code: string | undefined): void {
    if (this.disabledBy !== undefined || this.mode === 'off') return;
    this.disabledBy = `a prepared-statement conflict (${code ?? 'no code'}): a pooler in between`;
    this.logger.warn(
      `prepared statements: off for this pool after ${this.disabledBy}; statements are sent ` +
        "unnamed from now on. Behind a pooler, leave preparedStatements at 'auto' and set " +
        "migrationConnectionString, or use 'on' only with PgBouncer >= 1.21 and max_prepared_statements",
    );
  }

  /**
   * A statement prepared at `preparedAtEpoch` failed because its plan is stale (`0A000` after a
   * schema change): every connection that prepared statements before now is to be discarded.
   * Single-flight per epoch, so a burst of such failures bumps it once.
   */
  planInvalidated(preparedAtEpoch: number): void {
    if (preparedAtEpoch !== this.epoch) return;
    this.epoch += 1;
    this.logger.warn(
      'prepared statements: a cached plan went stale after a schema change; connections that ' +
        'prepared statements before it are replaced',
    );
  }

  private reason(): string {
    if (this.mode === 'off') return "preparedStatements: 'off'";
    if (this.disabledBy !== undefined) return `turned off after ${this.disabledBy}`;
    if (this.mode === 'on') return "preparedStatements: 'on'";
    if (this.declaredPooler) return 'migrationConnectionString is set: the main target is a pooler';
    if (this.target === 'pooler') {
      return 'a pooler answers: the backend key is not the process id of the backend';
    }
    if (this.target === 'direct') return 'direct connection: the backend key is the backend';
    return 'not decided yet: no connection checked';
  }
}
