import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { run } from './shell.mjs';

/**
 * `npm pack` of the library into `outDir` (its prepack builds dist from a clean slate); returns
 * the tarball's path.
 */
export async function packLibrary(repoRoot, outDir, logFile) {
  await run('npm', ['pack', '--pack-destination', outDir], { cwd: repoRoot, logFile });
  const tarballs = (await readdir(outDir)).filter((name) => name.endsWith('.tgz'));
  if (tarballs.length !== 1) throw new Error(`npm pack left ${tarballs.length} tarballs`);
  return path.join(outDir, tarballs[0]);
}

/** Every file under `dir`, relative to it, with `/` separators. */
async function listFiles(dir, prefix = '') {
  const files = [];
  for (const entry of await readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) files.push(...(await listFiles(dir, relative)));
    else files.push(relative);
  }
  return files;
}

/**
 * What is wrong with the unpacked tarball in `packageDir` (empty when nothing): it must hold the
 * entry points package.json names, the README and LICENSE, only the library (no specs, demo or
 * sources), and every `.js` must name a source map that is shipped and resolves to sources that
 * are inlined or shipped.
 */
export async function tarballProblems(packageDir) {
  const problems = [];
  const files = new Set(await listFiles(packageDir));
  const manifest = JSON.parse(await readFile(path.join(packageDir, 'package.json'), 'utf8'));
  const entry = manifest.exports?.['.'] ?? {};
  for (const required of ['README.md', 'LICENSE', manifest.main, manifest.types, entry.default]) {
    const file = required?.replace(/^\.\//, '');
    if (file === undefined || !files.has(file)) problems.push(`missing ${required}`);
  }
  for (const file of files) {
    const shipped = file.startsWith('dist/checkpointer/') || /^[^/]+$/.test(file);
    if (!shipped || /\.spec\.|(^|\/)demo\//.test(file)) problems.push(`should not ship ${file}`);
  }
  const scripts = [...files].filter((file) => file.endsWith('.js'));
  if (scripts.length === 0) problems.push('no .js at all: was dist built before packing?');
  for (const script of scripts)
    problems.push(...(await sourceMapProblems(packageDir, script, files)));
  return problems;
}

/** Problems of `script`'s `//# sourceMappingURL=`: map shipped, parseable, sources resolvable. */
async function sourceMapProblems(packageDir, script, files) {
  const code = await readFile(path.join(packageDir, script), 'utf8');
  const reference = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(code)?.[1];
  if (reference === undefined || reference.startsWith('data:')) return [];
  const mapFile = path.posix.join(path.posix.dirname(script), reference);
  if (!files.has(mapFile)) return [`${script} names ${reference}, which is not shipped`];
  let map;
  try {
    map = JSON.parse(await readFile(path.join(packageDir, mapFile), 'utf8'));
  } catch {
    return [`${mapFile} is not valid JSON`];
  }
  const root = map.sourceRoot ?? '';
  return (map.sources ?? []).flatMap((source, index) => {
    if (typeof map.sourcesContent?.[index] === 'string') return [];
    const file = path.posix.normalize(path.posix.join(path.posix.dirname(mapFile), root, source));
    return files.has(file) ? [] : [`${mapFile}: source ${source} is neither inlined nor shipped`];
  });
}

/** Size of a file in bytes (for the summary). */
export async function sizeOf(file) {
  return (await stat(file)).size;
}
