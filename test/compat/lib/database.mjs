import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Runs one statement as the admin role on a short-lived connection. */
async function adminQuery(adminUrl, text, values) {
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}

/**
 * A scratch database for one fixture (`compat_<label>_<random>`) on the server at `adminUrl`,
 * whose role needs CREATEDB; dropped by `drop()`.
 */
export async function createScratchDatabase(adminUrl, label) {
  const name = `compat_${label.replace(/\W/g, '_')}_${randomBytes(4).toString('hex')}`;
  await adminQuery(adminUrl, `CREATE DATABASE "${name}"`);
  return {
    name,
    /**
     * The URL the application gets: this database through the proxy on `port`, with `password`
     * (the server's own if the admin URL has one; under trust auth any password is never asked
     * for, so a random one serves as a marker that must never appear in the app's output).
     */
    urlVia(port, password) {
      const url = new URL(adminUrl);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      url.pathname = `/${name}`;
      url.password = password;
      return url.toString();
    },
    /** Backends connected to this database now, other than our own queries'. */
    async backends() {
      const { rows } = await adminQuery(
        adminUrl,
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [name],
      );
      return rows[0].n;
    },
    drop: () => adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

/** Where the admin URL's server listens, for the proxy to forward to. */
export function serverOf(adminUrl) {
  const url = new URL(adminUrl);
  return { host: url.hostname || '127.0.0.1', port: Number(url.port || 5432) };
}

/** The admin URL's password, if it has one (it then doubles as the secret to look for). */
export function passwordOf(adminUrl) {
  return decodeURIComponent(new URL(adminUrl).password);
}
