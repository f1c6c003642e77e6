import { parse as parseConnectionString } from 'pg-connection-string';
import { MAX_IDENTIFIER_BYTES, SCHEMA_NAME_RULE, isSchemaName } from '../common/sql-identifier';

/** Problems found so far; every rule appends to it and carries on, so one error lists them all. */
export type Problems = string[];

/**
 * How one option is checked, converted and defaulted. Rules never throw: a bad value records a
 * problem (naming the option, never echoing a secret) and yields the default, so checking goes
 * on and one `CheckpointerConfigError` can list everything wrong.
 */
export interface OptionRule<Out, Default = Out> {
  /** The documented default, as `CHECKPOINTER_DEFAULTS` shows it; `undefined` when there is none. */
  readonly default: Default;
  /** `value` checked and converted, or what an absent option becomes. */
  resolve(path: string, value: unknown, problems: Problems): Out;
}

/** A rule for every key of an options section: the compiler rejects a missing or misspelled key. */
export type RulesOf<Section> = {
  readonly [Key in keyof Required<Section>]: OptionRule<unknown, unknown>;
};

/** What a section of rules resolves to. */
export type ResolvedBy<Rules> = {
  readonly [Key in keyof Rules]: Rules[Key] extends OptionRule<infer Out, unknown> ? Out : never;
};

/** The documented defaults of a section of rules: the keys that have one. */
export type DefaultsOf<Rules> = {
  readonly [
    Key in keyof Rules as Rules[Key] extends OptionRule<unknown, undefined> ? never : Key
  ]: Rules[Key] extends OptionRule<unknown, infer Default> ? Default : never;
};

type AnyRules = Readonly<Record<string, OptionRule<unknown, unknown>>>;

/**
 * A nested options object (`pool`, `retry`, ...), or the options themselves: unknown keys are
 * problems (a typo is never silently ignored), every rule runs, in the table's order.
 */
export function section<Rules extends AnyRules>(
  rules: Rules,
): OptionRule<ResolvedBy<Rules>, DefaultsOf<Rules>> {
  const defaults: Record<string, unknown> = {};
  for (const [key, rule] of Object.entries(rules)) {
    if (rule.default !== undefined) defaults[key] = rule.default;
  }
  return {
    default: defaults as DefaultsOf<Rules>,
    resolve(path, value, problems) {
      let given: Record<string, unknown> = {};
      if (value !== undefined) {
        if (value === null || typeof value !== 'object' || Array.isArray(value)) {
          problems.push(`${path} must be an object, got ${describe(value)}`);
        } else {
          given = value as Record<string, unknown>;
        }
      }
      const prefix = path === '' ? '' : `${path}.`;
      for (const key of Object.keys(given)) {
        if (!Object.hasOwn(rules, key) && given[key] !== undefined) {
          problems.push(`unknown option "${prefix}${key}"`);
        }
      }
      const resolved: Record<string, unknown> = {};
      for (const [key, rule] of Object.entries(rules)) {
        resolved[key] = rule.resolve(`${prefix}${key}`, given[key], problems);
      }
      return resolved as ResolvedBy<Rules>;
    },
  };
}

/** The option's own rule, once it is known to be present. */
function rule<Out, Default>(
  defaultValue: Default,
  absent: () => Out,
  present: (path: string, value: unknown, problems: Problems) => Out,
): OptionRule<Out, Default> {
  return {
    default: defaultValue,
    resolve: (path, value, problems) =>
      value === undefined ? absent() : present(path, value, problems),
  };
}

/**
 * An integer in `[min, max]`; numeric strings count, as configuration sources (environment,
 * `ConfigService`) deliver them.
 */
export function integer(options: {
  readonly default: number;
  readonly min: number;
  readonly max?: number;
}): OptionRule<number>;
export function integer(options: {
  readonly min: number;
  readonly max?: number;
}): OptionRule<number | undefined, undefined>;
export function integer({
  default: fallback,
  min,
  max = Number.MAX_SAFE_INTEGER,
}: {
  readonly default?: number;
  readonly min: number;
  readonly max?: number;
}): OptionRule<number | undefined, number | undefined> {
  return rule<number | undefined, number | undefined>(
    fallback,
    () => fallback,
    (path, value, problems) => {
      const n = toInteger(value);
      if (n !== undefined && n >= min && n <= max) return n;
      const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `${min}-${max}`;
      problems.push(`${path} must be an integer ${range}, got ${describe(value)}`);
      return fallback;
    },
  );
}

/** A TCP port, 1-65535, default `5432`: the one port rule (options, URLs and `PGPORT`). */
export function port(): OptionRule<number> {
  return integer({ default: 5432, min: 1, max: 65535 });
}

export function boolean(options: { readonly default: boolean }): OptionRule<boolean> {
  return rule(
    options.default,
    () => options.default,
    (path, value, problems) => {
      if (typeof value === 'boolean') return value;
      problems.push(`${path} must be true or false, got ${describe(value)}`);
      return options.default;
    },
  );
}

/** One of a few strings. */
export function oneOf<const Allowed extends string>(
  allowed: readonly Allowed[],
  options: { readonly default: NoInfer<Allowed> },
): OptionRule<Allowed> {
  return rule(
    options.default,
    () => options.default,
    (path, value, problems) => {
      if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) {
        return value as Allowed;
      }
      const list = allowed.map((a) => `'${a}'`).join(', ');
      problems.push(`${path} must be one of ${list}, got ${describe(value)}`);
      return options.default;
    },
  );
}

/** A non-blank string, or nothing. */
export function optionalString(): OptionRule<string | undefined, undefined> {
  return rule(
    undefined,
    () => undefined,
    (path, value, problems) => {
      if (typeof value === 'string' && value.trim() !== '') return value;
      problems.push(`${path} must be a non-empty string, got ${describe(value)}`);
      return undefined;
    },
  );
}

/**
 * A string of 1-`maxBytes` bytes of UTF-8 (PostgreSQL limits names in bytes and truncates past
 * them); `generate()` makes one when absent (no fixed default).
 */
export function generatedString(options: {
  readonly maxBytes: number;
  readonly generate: () => string;
}): OptionRule<string, undefined> {
  return rule(undefined, options.generate, (path, value, problems) => {
    if (
      typeof value === 'string' &&
      value.length > 0 &&
      Buffer.byteLength(value, 'utf8') <= options.maxBytes
    ) {
      return value;
    }
    problems.push(
      `${path} must be a string of 1-${options.maxBytes} bytes (UTF-8), got ${describe(value)}`,
    );
    return options.generate();
  });
}

/**
 * A schema name: any PostgreSQL identifier that upstream's SQL can carry (`isSchemaName`), used
 * as given (case and all) and always quoted.
 */
export function identifier(options: { readonly default: string }): OptionRule<string> {
  return rule(
    options.default,
    () => options.default,
    (path, value, problems) => {
      if (typeof value === 'string' && isSchemaName(value)) return value;
      const bytes =
        typeof value === 'string' && Buffer.byteLength(value, 'utf8') > MAX_IDENTIFIER_BYTES
          ? ` (${Buffer.byteLength(value, 'utf8')} bytes)`
          : '';
      problems.push(`${path} must be ${SCHEMA_NAME_RULE}, got ${describe(value)}${bytes}`);
      return options.default;
    },
  );
}

const POSTGRES_URL = /^postgres(ql)?:\/\//i;

/**
 * A `postgres://` or `postgresql://` URL, with a valid port if it names one: the one URL rule
 * (`connectionString`, `migrationConnectionString`, `DATABASE_URL`). Never echoed back: it may
 * carry a password.
 */
export function postgresUrl(): OptionRule<string | undefined, undefined> {
  return rule(
    undefined,
    () => undefined,
    (path, value, problems) => {
      const url = typeof value === 'string' ? value.trim() : '';
      if (!POSTGRES_URL.test(url)) {
        problems.push(`${path} must be a postgres:// or postgresql:// URL`);
        return undefined;
      }
      let urlPort: string | null | undefined;
      try {
        urlPort = parseConnectionString(url).port;
      } catch {
        problems.push(`${path} could not be parsed as a postgres:// URL`);
        return undefined;
      }
      if (urlPort != null && urlPort !== '') {
        const checked: Problems = [];
        port().resolve('', urlPort, checked);
        if (checked.length > 0) {
          problems.push(`${path} has an invalid port, got ${describe(urlPort)}`);
        }
      }
      return url;
    },
  );
}

/** A value of any type `accepts`, or nothing; `expected` says what it must be. */
export function optionalValue<T>(
  accepts: (value: unknown) => value is T,
  expected: string,
  { echo = true }: { readonly echo?: boolean } = {},
): OptionRule<T | undefined, undefined> {
  return rule(
    undefined,
    () => undefined,
    (path, value, problems) => {
      if (accepts(value)) return value;
      problems.push(`${path} must be ${expected}${echo ? `, got ${describe(value)}` : ''}`);
      return undefined;
    },
  );
}

/** Integers, or strings of digits as configuration sources deliver them. */
function toInteger(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value === 'string' && /^\d{1,15}$/.test(value.trim())) return Number(value.trim());
  return undefined;
}

/** A value, described for an error message: short, and never a function's source. */
export function describe(value: unknown): string {
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
