import { spawn } from 'node:child_process';
import { appendFile } from 'node:fs/promises';

/**
 * Runs a command to completion, its output appended to `logFile` (installs and builds are noisy:
 * the summary stays readable). Rejects with the command and the last lines of its output.
 */
export async function run(command, args, { cwd, logFile, env = process.env }) {
  await appendFile(logFile, `\n$ ${command} ${args.join(' ')}   (in ${cwd})\n`);
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk) => {
      output += chunk;
    });
  }
  const code = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  await appendFile(logFile, output);
  if (code !== 0) {
    throw new Error(`\`${command} ${args.join(' ')}\` exited ${code}:\n${tail(output, 25)}`);
  }
  return output;
}

/** The last `lines` lines of `text`, indented, for failure messages. */
export function tail(text, lines = 20) {
  return text
    .trimEnd()
    .split('\n')
    .slice(-lines)
    .map((line) => `      ${line}`)
    .join('\n');
}
