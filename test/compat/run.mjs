#!/usr/bin/env node
/**
 * The compatibility suite: the library as users install it. Packs it (prepack builds dist from
 * scratch), checks what the tarball ships, then installs it into each fixture application
 * (test/compat/<fixture>: its own package.json and lockfile, from the registry) and drives the
 * fixture in real processes against PostgreSQL. Prints one PASS/FAIL line per check and a
 * summary; exits 1 if any check failed. Works on a clean clone.
 *
 *   node test/compat/run.mjs [fixture ...]     (npm run test:compat; default: every fixture)
 *
 * TEST_DATABASE_URL: an admin URL on the server (CREATEDB), default the local server, as for jest.
 * COMPAT_KEEP=1 keeps the work directory (copies, logs) even when everything passed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');

// The runner needs the repository's own dependencies (tsc for the build, pg for scratch databases).
if (!existsSync(path.join(repoRoot, 'node_modules/.bin/tsc'))) {
  process.stdout.write('repository dependencies missing: npm ci\n');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: repoRoot, stdio: 'inherit' });
}
const { runFixture } = await import('./lib/fixture.mjs');
const { packLibrary, sizeOf, tarballProblems } = await import('./lib/package.mjs');
const { Report, expect, print } = await import('./lib/report.mjs');
const { run } = await import('./lib/shell.mjs');

const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const available = (await readdir(here, { withFileTypes: true }))
  .filter((entry) => entry.isDirectory() && existsSync(path.join(here, entry.name, 'package.json')))
  .map((entry) => entry.name)
  .sort();
const selected = process.argv.slice(2).length > 0 ? process.argv.slice(2) : available;
const unknown = selected.filter((name) => !available.includes(name));
if (unknown.length > 0) {
  print(`unknown fixture(s): ${unknown.join(', ')}; available: ${available.join(', ')}`);
  process.exit(2);
}

const report = new Report();
const workDir = await mkdtemp(path.join(os.tmpdir(), 'checkpointer-compat-'));
const library = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')).name;
print(`compatibility suite: ${selected.join(', ')} (work directory ${workDir})`);

await report.check(
  'work directory has no node_modules above it (nothing resolves from elsewhere)',
  () => {
    const leaks = [];
    for (let dir = path.dirname(workDir); ; dir = path.dirname(dir)) {
      if (existsSync(path.join(dir, 'node_modules'))) leaks.push(path.join(dir, 'node_modules'));
      if (dir === path.dirname(dir)) break;
    }
    expect(leaks.length === 0, `found ${leaks.join(', ')}: set TMPDIR elsewhere`);
  },
);

let tarball;
await report.check('npm pack builds and packs the library', async () => {
  tarball = await packLibrary(repoRoot, workDir, path.join(workDir, 'pack.log'));
  return `${path.basename(tarball)}, ${Math.round((await sizeOf(tarball)) / 1024)} kB`;
});
if (tarball !== undefined) {
  await report.check(
    'the tarball ships the entry points, README, LICENSE and resolvable source maps, nothing else',
    async () => {
      const unpacked = path.join(workDir, 'unpacked');
      await mkdir(unpacked);
      await run('tar', ['-xzf', tarball, '-C', unpacked], {
        cwd: workDir,
        logFile: path.join(workDir, 'pack.log'),
      });
      const problems = await tarballProblems(path.join(unpacked, 'package'));
      expect(problems.length === 0, problems.join('; '));
    },
  );
}

if (available.length > 1) {
  await report.check(`the fixtures run the same sources (${available.join(', ')})`, async () => {
    const [first, ...others] = available;
    for (const other of others) {
      try {
        execFileSync('diff', ['-r', path.join(here, first, 'src'), path.join(here, other, 'src')], {
          encoding: 'utf8',
        });
      } catch (error) {
        throw new Error(`src of ${first} and ${other} differ:\n${error.stdout}`);
      }
    }
  });
}

for (const name of selected) {
  if (tarball === undefined) {
    report.skip(`[${name}]`, 'no tarball');
    continue;
  }
  print(`\n--- ${name}`);
  await runFixture({
    name,
    sourceDir: path.join(here, name),
    workDir,
    tarball,
    readme: path.join(repoRoot, 'README.md'),
    library,
    adminUrl,
    report,
  });
}

const code = report.summarize();
if (code === 0 && process.env.COMPAT_KEEP !== '1')
  await rm(workDir, { recursive: true, force: true });
else print(`logs and copies kept in ${workDir}`);
process.exit(code);
