import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKPOINTER_DEFAULTS } from './options.table';

/** The option interfaces whose JSDoc quotes the defaults, and where their defaults live. */
const SECTIONS: Readonly<Record<string, readonly string[]>> = {
  CheckpointerModuleOptions: [],
  CheckpointerPoolOptions: ['pool'],
  CheckpointerConnectionSettings: ['connection'],
  CheckpointerRetryOptions: ['retry'],
  CheckpointerThreadsOptions: ['threads'],
  CheckpointerRetentionOptions: ['retention'],
};

/** `{ 'pool.max': '10', ... }`: every "Default: `x`" the JSDoc of checkpointer.options.ts states. */
function documentedDefaults(): Record<string, string> {
  const source = readFileSync(join(__dirname, 'checkpointer.options.ts'), 'utf8');
  const found: Record<string, string> = {};
  for (const [name, path] of Object.entries(SECTIONS)) {
    const body = new RegExp(`export interface ${name} \\{([\\s\\S]*?)\\n\\}`).exec(source)?.[1];
    if (body === undefined) throw new Error(`interface ${name} not found`);
    for (const [, doc, key] of body.matchAll(/\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*(\w+)\??:/g)) {
      const quoted = /Default: `([^`]+)`/.exec(doc)?.[1];
      if (quoted !== undefined) found[[...path, key].join('.')] = quoted;
    }
  }
  return found;
}

/** `{ 'pool.max': 10, ... }` from the table. */
function tableDefaults(
  value: object = CHECKPOINTER_DEFAULTS,
  prefix = '',
): Record<string, unknown> {
  const flat: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (inner !== null && typeof inner === 'object')
      Object.assign(flat, tableDefaults(inner, `${prefix}${key}.`));
    else flat[`${prefix}${key}`] = inner;
  }
  return flat;
}

/** A JSDoc literal as the value it stands for: `10_000`, `'run'`, `true`. */
function literal(text: string): unknown {
  if (/^[\d_]+$/.test(text)) return Number(text.replace(/_/g, ''));
  if (text === 'true' || text === 'false') return text === 'true';
  return /^'(.*)'$/.exec(text)?.[1] ?? text;
}

/** Documented defaults that are not a value in the table, and why. */
const NOT_A_TABLE_VALUE: Readonly<Record<string, string>> = {
  // Absent, pg applies its own default (no TLS) and a URL's sslmode still counts.
  ssl: 'false',
  // Generated per module instance.
  'connection.applicationName': 'checkpointer-<pid>-<6 random hex digits>',
};

describe('CHECKPOINTER_DEFAULTS', () => {
  it('is what the options’ JSDoc says, option by option (docs cannot drift from the table)', () => {
    const documented = documentedDefaults();
    for (const [key, text] of Object.entries(NOT_A_TABLE_VALUE)) {
      expect(documented[key]).toBe(text);
      delete documented[key];
    }
    const values = Object.fromEntries(
      Object.entries(documented).map(([key, text]) => [key, literal(text)]),
    );
    expect(values).toEqual(tableDefaults());
  });
});
