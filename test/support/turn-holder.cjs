// A separate process that takes a turn on a thread and holds it until it is killed: what a
// replica that crashes (SIGKILL, OOM) mid-turn leaves behind. Runs the built library (dist/).
//   node test/support/turn-holder.cjs <database url> <schema> <user> <thread id> <lease ms>
// Prints "holding" once its turn runs; never gives the turn back by itself.
require('reflect-metadata');
const { join } = require('node:path');
const { NestFactory } = require('@nestjs/core');
const { Module } = require('@nestjs/common');
const { CheckpointerModule, ThreadTurns } = require(join(__dirname, '../../dist/checkpointer'));

const [url, schema, user, threadId, leaseMs] = process.argv.slice(2);

async function main() {
  const imports = [
    CheckpointerModule.forRoot({
      connectionString: url,
      schema,
      logger: false,
      threads: { turnLeaseMs: Number(leaseMs) },
    }),
  ];
  class HolderModule {}
  Module({ imports })(HolderModule);
  const app = await NestFactory.createApplicationContext(HolderModule, { logger: false });
  await app.get(ThreadTurns).run(user, threadId, async () => {
    process.stdout.write('holding\n');
    await new Promise(() => undefined);
  });
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
