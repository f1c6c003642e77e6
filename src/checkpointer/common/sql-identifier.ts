/**
 * PostgreSQL's longest identifier, in bytes (NAMEDATALEN - 1). A longer one is not an error: the
 * server truncates it with a NOTICE, so two names would silently mean one schema.
 */
export const MAX_IDENTIFIER_BYTES = 63;

/** What a schema name must be, as every error that refuses one says it. */
export const SCHEMA_NAME_RULE =
  'a PostgreSQL identifier: 1-63 bytes, no NUL character, no double quote (upstream PostgresSaver does not escape it)';

/**
 * Whether `name` is a PostgreSQL identifier once double-quoted: 1-63 bytes of UTF-8 and no NUL
 * (the server stores names as C strings). Anything else is allowed: case, spaces, `-`, `$`, `"`,
 * any letter of any script.
 */
export function isPostgresIdentifier(name: string): boolean {
  return (
    name.length > 0 &&
    !name.includes('\u0000') &&
    Buffer.byteLength(name, 'utf8') <= MAX_IDENTIFIER_BYTES
  );
}

/**
 * Whether `name` can be the module's schema: a PostgreSQL identifier without `"`. Upstream
 * `PostgresSaver` builds its SQL as `"${schema}".checkpoints` without doubling quotes, so a `"`
 * in the name would break its statements (or inject into them); every other identifier works
 * end to end (`test/checkpointer/schema/schema-names.e2e-spec.ts`).
 */
export function isSchemaName(name: string): boolean {
  return isPostgresIdentifier(name) && !name.includes('"');
}

/**
 * `name` as a quoted identifier for interpolation into SQL: `"` around it, every `"` inside
 * doubled, so any identifier (`Mixed Case`, `custom-schema`, `with"quote`) means itself and can
 * never carry SQL. Refuses what is not an identifier (see `isPostgresIdentifier`).
 *
 * Inside a dollar-quoted function body (`$$ ... $$`) the quoted name is plain text, parsed again
 * when the function runs, so the same quoting holds there, provided the body's dollar tag does
 * not occur in the name (a schema may be called `a$$b`): quote such bodies with `dollarQuote()`.
 *
 * @example quoteIdentifier('Mixed Case') // '"Mixed Case"'
 */
export function quoteIdentifier(name: string): string {
  if (!isPostgresIdentifier(name)) {
    throw new Error(`not a valid PostgreSQL identifier: ${JSON.stringify(name)}`);
  }
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * `body` dollar-quoted with a tag that ends it exactly where it ends (`$body$`, else `$body1$`,
 * ...), for function bodies that embed identifiers, which may themselves contain `$$`.
 *
 * @example `CREATE FUNCTION f() RETURNS void LANGUAGE sql AS ${dollarQuote(`DELETE FROM ${quoteIdentifier(schema)}.t`)}`
 */
export function dollarQuote(body: string): string {
  let tag = '$body$';
  // Not in the body, and not completed by the body's last characters either (`...$body` + `$`).
  for (let n = 1; `${body}${tag}`.indexOf(tag) !== body.length; n += 1) tag = `$body${n}$`;
  return `${tag}${body}${tag}`;
}
