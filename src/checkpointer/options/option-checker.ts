import { randomBytes } from 'node:crypto';
import { parse as parseConnectionString } from 'pg-connection-string';
import {
  CHECKPOINTER_DEFAULTS as D,
  type ResolvedCheckpointerOptions,
} from './checkpointer.options';
import { isSqlIdentifier } from '../common/sql-identifier';

const URL_SCHEMES = /^(postgres|postgresql|socket):/i;
/** PostgreSQL truncates longer `application_name` values (NAMEDATALEN - 1). */
const MAX_APPLICATION_NAME = 63;

/**
 * Checks option values one by one and collects the problems; every method returns a usable value
 * so that checking goes on and one error can list everything wrong.
 */
export class OptionChecker {
  constructor(private readonly problems: string[]) {}

  problem(message: string): void {
    this.problems.push(message);
  }

  unknownKeys(prefix: string, value: Record<string, unknown>, known: ReadonlySet<string>): void {
    for (const key of Object.keys(value)) {
      if (!known.has(key) && value[key] !== undefined)
        this.problem(`unknown option "${prefix}${key}"`);
    }
  }

  section(name: string, value: unknown, known: ReadonlySet<string>): Record<string, unknown> {
    if (value === undefined) return {};
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.problem(`${name} must be an object, got ${describe(value)}`);
      return {};
    }
    const section = value as Record<string, unknown>;
    this.unknownKeys(`${name}.`, section, known);
    return section;
  }

  integer(
    path: string,
    value: unknown,
    fallback: number,
    min: number,
    max = Number.MAX_SAFE_INTEGER,
  ): number {
    if (value === undefined) return fallback;
    const n = toInteger(value);
    if (n === undefined || n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `${min}-${max}`;
      this.problem(`${path} must be an integer ${range}, got ${describe(value)}`);
      return fallback;
    }
    return n;
  }

  optionalInteger(path: string, value: unknown, min: number): number | undefined {
    return value === undefined ? undefined : this.integer(path, value, 0, min);
  }

  port(path: string, value: unknown): number {
    if (value === undefined) return D.port;
    const n = toInteger(value);
    if (n === undefined || n < 1 || n > 65535) {
      this.problem(`${path} must be an integer 1-65535, got ${describe(value)}`);
      return D.port;
    }
    return n;
  }

  boolean(path: string, value: unknown, fallback: boolean): boolean {
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') {
      this.problem(`${path} must be true or false, got ${describe(value)}`);
      return fallback;
    }
    return value;
  }

  oneOf<T extends string>(path: string, value: unknown, allowed: readonly T[], fallback: T): T {
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || !allowed.includes(value as T)) {
      this.problem(
        `${path} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(value)}`,
      );
      return fallback;
    }
    return value as T;
  }

  optionalString(path: string, value: unknown): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.trim() === '') {
      this.problem(`${path} must be a non-empty string, got ${describe(value)}`);
      return undefined;
    }
    return value;
  }

  identifier(path: string, value: unknown, fallback: string): string {
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || !isSqlIdentifier(value)) {
      this.problem(
        `${path} must be a SQL identifier (a letter or _, then up to 62 letters, digits or _), got ${describe(value)}`,
      );
      return fallback;
    }
    return value;
  }

  /** Validates a URL without ever echoing it: it may carry a password. */
  optionalUrl(path: string, value: unknown): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !URL_SCHEMES.test(value.trim())) {
      this.problem(`${path} must be a postgres:// or postgresql:// URL`);
      return undefined;
    }
    try {
      const parsed = parseConnectionString(value.trim());
      if (parsed.port != null && parsed.port !== '') {
        const port = toInteger(parsed.port);
        if (port === undefined || port < 1 || port > 65535) {
          this.problem(`${path} has an invalid port, got ${describe(parsed.port)}`);
        }
      }
    } catch {
      this.problem(`${path} could not be parsed as a postgres:// URL`);
      return undefined;
    }
    return value.trim();
  }

  ssl(value: unknown): boolean | object | undefined {
    if (value === undefined) return undefined;
    if (typeof value === 'boolean' || (value !== null && typeof value === 'object')) return value;
    this.problem(`ssl must be true, false or an object of tls options, got ${describe(value)}`);
    return undefined;
  }

  applicationName(value: unknown): string {
    if (value === undefined) return defaultApplicationName();
    if (typeof value !== 'string' || value.length === 0 || value.length > MAX_APPLICATION_NAME) {
      this.problem(
        `connection.applicationName must be a string of 1-${MAX_APPLICATION_NAME} characters, got ${describe(value)}`,
      );
      return defaultApplicationName();
    }
    return value;
  }

  serde(value: unknown): ResolvedCheckpointerOptions['serde'] {
    if (value === undefined) return undefined;
    const s = value as Record<string, unknown>;
    if (
      typeof s !== 'object' ||
      typeof s.dumpsTyped !== 'function' ||
      typeof s.loadsTyped !== 'function'
    ) {
      this.problem('serde must implement dumpsTyped() and loadsTyped()');
      return undefined;
    }
    return value as ResolvedCheckpointerOptions['serde'];
  }

  optionalFunction(path: string, value: unknown): unknown {
    if (value === undefined || typeof value === 'function') return value;
    this.problem(`${path} must be a function, got ${describe(value)}`);
    return undefined;
  }
}

/** Integers, or strings of digits as configuration sources (env, ConfigService) deliver them. */
function toInteger(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value === 'string' && /^\d{1,15}$/.test(value.trim())) return Number(value.trim());
  return undefined;
}

function describe(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    case 'function':
      return 'a function';
    case 'object':
      return value === null ? 'null' : Array.isArray(value) ? 'an array' : 'an object';
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    default:
      return typeof value;
  }
}

/** Unique per module instance, so one process's backends can be told apart in pg_stat_activity. */
function defaultApplicationName(): string {
  return `checkpointer-${process.pid}-${randomBytes(3).toString('hex')}`;
}
