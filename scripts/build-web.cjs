// Builds the chat page into dist/demo/web, where the demo serves it from: its TypeScript compiled
// by tsc alone (src/demo/web/tsconfig.json, plain ES modules, no bundler) into js/, and its static
// files copied beside it. `npm run build` runs it after the server's build.
const { spawnSync } = require('node:child_process');
const { copyFileSync, mkdirSync, rmSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const source = join(root, 'src', 'demo', 'web');
const target = join(root, 'dist', 'demo', 'web');
const STATIC_FILES = ['index.html', 'app.css', 'favicon.svg'];

rmSync(target, { recursive: true, force: true });
const tsc = require.resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', join(source, 'tsconfig.json')], {
  stdio: 'inherit',
});
if (compiled.status !== 0) process.exit(compiled.status ?? 1);
mkdirSync(target, { recursive: true });
for (const file of STATIC_FILES) copyFileSync(join(source, file), join(target, file));
