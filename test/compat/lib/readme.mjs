import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** The text of the README's `## <title>` section, up to the next `## ` heading. */
function section(readme, title) {
  const start = readme.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`README has no "## ${title}" section`);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** The fenced code blocks of `text` in language `lang`. */
function codeBlocks(text, lang) {
  return [...text.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]);
}

/** The packages the README's Install command installs (versions, if any, stripped). */
export function installedPackages(readme) {
  const [command] = codeBlocks(section(readme, 'Install'), 'bash');
  if (command === undefined) throw new Error('README Install has no bash block');
  const words = command.replace(/\\\n/g, ' ').split(/\s+/).filter(Boolean);
  if (words[0] !== 'npm' || !['install', 'i'].includes(words[1])) {
    throw new Error(`README Install does not start with npm install: ${words.join(' ')}`);
  }
  return words
    .slice(2)
    .filter((word) => !word.startsWith('-'))
    .map((word) => word.replace(/(.)@.*$/, '$1'));
}

/**
 * The Quick start's files: every ts block whose first line names its file (`// src/main.ts`),
 * with relative imports written the way an ESM (nodenext) build needs them (`./chat.js`), which
 * also compile in a CommonJS nodenext build.
 */
export function quickStartFiles(readme) {
  const files = new Map();
  for (const block of codeBlocks(section(readme, 'Quick start'), 'ts')) {
    const name = /^\/\/ (src\/\S+\.ts)\n/.exec(block)?.[1];
    if (name === undefined) continue;
    files.set(name, block.replace(/from '(\.{1,2}\/[^']+?)(?<!\.js)'/g, "from '$1.js'"));
  }
  return files;
}

/**
 * Why `fixtureDir` is not the README's application (empty when it is): its dependencies must be
 * exactly what the Install command installs, minus the library itself (installed from the
 * tarball), and each Quick start file must be a file of the fixture, byte for byte.
 */
export async function readmeProblems(readmePath, fixtureDir, libraryName) {
  const readme = await readFile(readmePath, 'utf8');
  const manifest = JSON.parse(await readFile(path.join(fixtureDir, 'package.json'), 'utf8'));
  const problems = [];
  const told = new Set(installedPackages(readme));
  if (!told.delete(libraryName)) problems.push(`Install does not install ${libraryName}`);
  const installed = new Set(Object.keys(manifest.dependencies ?? {}));
  for (const name of told) {
    if (!installed.has(name)) problems.push(`Install names ${name}, the fixture lacks it`);
  }
  for (const name of installed) {
    if (!told.has(name)) problems.push(`the fixture needs ${name}, Install does not name it`);
  }
  const files = quickStartFiles(readme);
  if (files.size === 0) problems.push('Quick start has no ts block naming its file (// src/…)');
  for (const [name, code] of files) {
    const actual = await readFile(path.join(fixtureDir, name), 'utf8').catch(() => undefined);
    if (actual !== code) problems.push(`${name} differs from the README's Quick start block`);
  }
  return { problems, files: [...files.keys()] };
}
