import type { ConnectionTarget } from '../connection/connection.provider';

/**
 * SQLSTATEs with which a server that answers refuses a connection for good: the same settings
 * will be refused again, so the boot stops at once instead of retrying for `retryAttempts` ×
 * `retryDelayMs` and then blaming the network. Transient refusals (53300 too many connections,
 * 57P03 starting up) are not here: they are retried.
 */
const PERMANENT_AT_BOOT: Readonly<
  Record<
    string,
    { name: string; refused(t: ConnectionTarget): string; fix(t: ConnectionTarget): string }
  >
> = {
  '28P01': {
    name: 'invalid_password',
    refused: (t) => `, database "${t.database}" refused the credentials of user "${t.user}"`,
    fix: () => 'check the user and password',
  },
  // No pg_hba.conf entry, no such role, or a role without LOGIN.
  '28000': {
    name: 'invalid_authorization_specification',
    refused: (t) => `, database "${t.database}" refused user "${t.user}"`,
    fix: () => 'check that the role exists and that pg_hba.conf admits it from this host',
  },
  '3D000': {
    name: 'invalid_catalog_name',
    refused: (t) => ` has no database "${t.database}"`,
    fix: () => 'check the database name, or create it',
  },
  // At connect time: the role lacks CONNECT on the database.
  '42501': {
    name: 'insufficient_privilege',
    refused: (t) => `, database "${t.database}" refused user "${t.user}" the CONNECT privilege`,
    fix: (t) =>
      `grant it with GRANT CONNECT ON DATABASE ${quoted(t.database)} TO ${quoted(t.user)}`,
  },
};

/**
 * Refusals pg raises itself, with no SQLSTATE, when the server asks for a SCRAM password and the
 * client has none to give (pg/lib/crypto/sasl.js): the same settings fail the same way every
 * time. Recognized by pg's message, the only thing that tells them apart.
 */
const PERMANENT_IN_CLIENT: readonly {
  readonly message: RegExp;
  refused(t: ConnectionTarget): string;
  readonly fix: string;
}[] = [
  {
    message: /^SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string$/,
    refused: (t) =>
      `, database "${t.database}" asks user "${t.user}" for a password and none is set`,
    fix: 'set connection.password, or the password in connectionString',
  },
  {
    message: /^SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a non-empty string$/,
    refused: (t) =>
      `, database "${t.database}" asks user "${t.user}" for a password and the one set is empty`,
    fix: 'set a non-empty connection.password, or the password in connectionString',
  },
];

/** A permanent refusal, described for the operator. */
export interface PermanentRefusal {
  /**
   * The SQLSTATE, e.g. `28P01`; `undefined` when pg refused before the server could answer (a
   * SCRAM password asked for and none set).
   */
  readonly code: string | undefined;
  /** Names host, port, database and user, the server's reason and what to check; never a password. */
  readonly message: string;
}

/**
 * The permanent refusal `error` is (looking through `cause`), or `undefined` for anything worth
 * another attempt. `redact` scrubs the server's message (it never contains the password, but a
 * URL in it might carry one).
 */
export function permanentRefusal(
  error: unknown,
  target: ConnectionTarget,
  redact: (message: string) => string,
): PermanentRefusal | undefined {
  for (let e = error, depth = 0; isObject(e) && depth < 5; e = e.cause, depth += 1) {
    const inClient =
      typeof e.message === 'string' && e.code === undefined
        ? PERMANENT_IN_CLIENT.find((known) => known.message.test(e.message as string))
        : undefined;
    if (inClient !== undefined) {
      return {
        code: undefined,
        message:
          `PostgreSQL at host ${target.host}, port ${target.port}${inClient.refused(target)} ` +
          `(pg: ${String(e.message)}): ${inClient.fix}. Not retried: retrying cannot fix it.`,
      };
    }
    const code = typeof e.code === 'string' ? e.code : undefined;
    const known = code === undefined ? undefined : PERMANENT_AT_BOOT[code];
    if (code === undefined || known === undefined) continue;
    const reason = redact(typeof e.message === 'string' ? e.message : '');
    return {
      code,
      message:
        `PostgreSQL at host ${target.host}, port ${target.port}${known.refused(target)} ` +
        `(${code} ${known.name}: ${reason}): ${known.fix(target)}. ` +
        'Not retried: retrying cannot fix it.',
    };
  }
  return undefined;
}

function quoted(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function isObject(value: unknown): value is Record<PropertyKey, unknown> {
  return typeof value === 'object' && value !== null;
}
