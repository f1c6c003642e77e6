/** A plain, unquoted-safe PostgreSQL identifier: the only shape we accept for a schema name. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Whether `name` is a safe schema or table identifier (letters, digits, `_`; at most 63). */
export function isSqlIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}

/**
 * Quotes a validated identifier for interpolation into SQL. Refuses anything else, so a schema
 * name can never carry SQL even if validation upstream were bypassed.
 */
export function quoteIdentifier(name: string): string {
  if (!isSqlIdentifier(name))
    throw new Error(`not a valid SQL identifier: ${JSON.stringify(name)}`);
  return `"${name}"`;
}
