// Writes the package.json of the demo application's Docker image to stdout: the library's
// dependencies, its peers and the demo's own runtime packages, each pinned to the version this
// repository uses (dev dependencies here, because library users must not install them). With
// the repository's package-lock.json beside it, `npm install --omit=dev` reuses the locked
// versions of everything underneath.
const pkg = require('../package.json');

const DEMO_RUNTIME = [
  '@langchain/langgraph',
  '@nestjs/config',
  '@nestjs/jwt',
  '@nestjs/platform-express',
  '@nestjs/swagger',
  'class-transformer',
  'class-validator',
  'helmet',
];

const pinned = (name) => {
  const version = pkg.devDependencies[name] ?? pkg.dependencies[name];
  if (version === undefined) throw new Error(`package.json does not pin ${name}`);
  return [name, version];
};

const dependencies = Object.fromEntries(
  [...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies), ...DEMO_RUNTIME]
    .sort()
    .map(pinned),
);

process.stdout.write(
  `${JSON.stringify({ name: `${pkg.name}-demo`, version: pkg.version, private: true, dependencies }, null, 2)}\n`,
);
