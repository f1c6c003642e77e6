import { randomBytes } from 'node:crypto';
import { cp, readFile } from 'node:fs/promises';
import path from 'node:path';
import { createScratchDatabase, passwordOf, serverOf } from './database.mjs';
import { CuttableProxy } from './proxy.mjs';
import { readmeProblems } from './readme.mjs';
import { expect } from './report.mjs';
import { drive } from './sessions.mjs';
import { run } from './shell.mjs';

/**
 * One fixture application, end to end, in a copy outside the repository (nothing may resolve
 * from the repository's own node_modules): installed from its lockfile, the tarball added without
 * saving, proven to be the README's application, built by its own tsc, then driven in real
 * processes through a proxy the runner can cut.
 *
 * @param {{ name: string, sourceDir: string, workDir: string, tarball: string, readme: string,
 *   library: string, adminUrl: string, report: import('./report.mjs').Report }} fixture
 */
export async function runFixture(fixture) {
  const { name, report, workDir } = fixture;
  const dir = path.join(workDir, name);
  const logFile = path.join(workDir, `${name}.log`);
  const label = (text) => `[${name}] ${text}`;
  await cp(fixture.sourceDir, dir, {
    recursive: true,
    filter: (source) =>
      !/^(node_modules|dist)(\/|$)/.test(path.relative(fixture.sourceDir, source)),
  });

  const installed = await report.check(
    label(
      'npm ci from its lockfile, then the tarball with npm install --no-save: lockfile unchanged',
    ),
    () => install(dir, fixture.tarball, logFile),
  );
  await report.check(
    label(
      'is the README app: Install names exactly its dependencies, Quick start files are its files',
    ),
    async () => {
      const { problems, files } = await readmeProblems(fixture.readme, dir, fixture.library);
      expect(problems.length === 0, problems.join('; '));
      return files.join(', ');
    },
  );
  const built =
    installed &&
    (await report.check(
      label('its own tsc type-checks and builds it (README code, packed .d.ts)'),
      () => run('npm', ['run', 'build'], { cwd: dir, logFile }).then(() => undefined),
    ));
  if (!built) {
    report.skip(label('real processes'), 'the fixture did not install or build');
    return;
  }

  const database = await createScratchDatabase(fixture.adminUrl, name);
  const proxy = await CuttableProxy.start(serverOf(fixture.adminUrl));
  const secret = passwordOf(fixture.adminUrl) || `compat-${randomBytes(12).toString('hex')}`;
  report.redact(secret);
  const context = { dir, logFile, label, report, proxy, database, apps: [] };
  context.env = { DATABASE_URL: database.urlVia(proxy.port, secret) };
  try {
    await drive(context);
  } finally {
    await Promise.all(context.apps.map((app) => app.kill()));
    await proxy.close();
    await database.drop();
  }
  await report.check(label('no output of any process shows the database password'), () => {
    const leaked = context.apps.filter((app) => app.output.includes(secret)).length;
    expect(leaked === 0, `${leaked} process(es) printed it`);
  });
}

/** `npm ci`, then the tarball as a user adds it; fails if either manifest or lockfile changed. */
async function install(dir, tarball, logFile) {
  const manifests = ['package.json', 'package-lock.json'];
  const before = await Promise.all(manifests.map((file) => readFile(path.join(dir, file), 'utf8')));
  await run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, logFile });
  await run('npm', ['install', '--no-save', '--no-audit', '--no-fund', tarball], {
    cwd: dir,
    logFile,
  });
  const after = await Promise.all(manifests.map((file) => readFile(path.join(dir, file), 'utf8')));
  const changed = manifests.filter((_, index) => before[index] !== after[index]);
  expect(changed.length === 0, `installing changed ${changed.join(', ')}`);
}
