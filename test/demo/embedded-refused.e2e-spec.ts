/**
 * The embedded PGlite database has no authentication: with NODE_ENV=production and no database
 * configured, the demo refuses to boot, saying what to set, and never starts it.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedDatabase } from '../../src/demo/database/embedded-database';
import { E2E_JWT_SECRET, bootDemoApp } from '../support/demo-app';
import { LogCapture } from '../support/log-capture';

let dataRoot: string;

beforeAll(() => {
  dataRoot = mkdtempSync(join(tmpdir(), 'demo-refused-'));
});

afterAll(() => {
  rmSync(dataRoot, { recursive: true, force: true });
});

it('NODE_ENV=production without DATABASE_URL or PGHOST: refused at boot, naming what to set', async () => {
  const start = jest.spyOn(EmbeddedDatabase, 'start');
  const dataDir = join(dataRoot, 'never', 'pglite');
  const logs = new LogCapture();
  try {
    const boot = bootDemoApp({ NODE_ENV: 'production', DEMO_DATA_DIR: dataDir }, { logger: logs });
    const refusal = await boot.then(
      async (demo) => {
        await demo.close();
        throw new Error('the app booted');
      },
      (error: unknown) => error as Error,
    );
    expect(refusal.message).toContain('No database configured and NODE_ENV is production');
    expect(refusal.message).toMatch(
      /set DATABASE_URL \(or PGHOST, with PGPORT, PGUSER, PGPASSWORD/,
    );
    expect(refusal.message).not.toContain(E2E_JWT_SECRET);
    expect(logs.text()).not.toContain(E2E_JWT_SECRET);
    expect(start).not.toHaveBeenCalled();
    expect(existsSync(join(dataRoot, 'never'))).toBe(false);
  } finally {
    start.mockRestore();
  }
});
