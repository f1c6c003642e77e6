/**
 * `npm run bench [-- <scenario>... ] [--quick] [--no-write]`
 *
 * Runs the selected scenarios (all by default) against the PostgreSQL server of
 * `TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`), each in databases
 * it creates and drops, prints our figure beside the baseline's with the ratio, and rewrites those
 * scenarios' sections of `bench/RESULTS.md`. `--quick` takes few samples to check the bench
 * runs (its numbers are not kept: it implies `--no-write`).
 */
import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_SERVER_URL } from './harness/database';
import { markdownTable } from './harness/format';
import { describeMachine, machineLine } from './harness/machine';
import { print, progress } from './harness/output';
import { type ResultSection, mergeResults } from './harness/results-file';
import type { Scenario } from './harness/scenario';
import { SCENARIOS } from './scenarios';

const RESULTS_FILE = join(__dirname, '..', '..', '..', 'bench', 'RESULTS.md');

function parseArguments(argv: readonly string[]) {
  const flags = new Set(argv.filter((a) => a.startsWith('--')));
  const names = argv.filter((a) => !a.startsWith('--'));
  const unknownFlags = [...flags].filter((f) => !['--quick', '--no-write', '--help'].includes(f));
  const unknownNames = names.filter((n) => !SCENARIOS.some((s) => s.id === n));
  if (flags.has('--help') || unknownFlags.length > 0 || unknownNames.length > 0) {
    const problems = [...unknownFlags, ...unknownNames].map((x) => `unknown argument: ${x}`);
    const usage = [
      ...problems,
      'usage: npm run bench [-- <scenario>...] [--quick] [--no-write]',
      'scenarios:',
      ...SCENARIOS.map((s) => `  ${s.id.padEnd(12)} ${s.number}. ${s.title}`),
    ];
    return { usage: usage.join('\n'), failed: problems.length > 0 };
  }
  const selected = names.length === 0 ? SCENARIOS : SCENARIOS.filter((s) => names.includes(s.id));
  const quick = flags.has('--quick');
  return { selected, quick, write: !quick && !flags.has('--no-write') };
}

async function runScenario(
  scenario: Scenario,
  quick: boolean,
  machine: string,
): Promise<ResultSection> {
  print(`\n## ${scenario.number}. ${scenario.title}\n`);
  const started = performance.now();
  const result = await scenario.run({ serverUrl: BENCH_SERVER_URL, quick, progress });
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  const lines = [
    `## ${scenario.number}. ${scenario.title}`,
    '',
    `Baseline: ${scenario.baseline}. Measured ${new Date().toISOString()} in ${seconds} s on: ${machine}.`,
    '',
  ];
  for (const table of result.tables) lines.push(`### ${table.title}`, '', markdownTable(table), '');
  lines.push(...result.notes);
  const markdown = lines.join('\n').trimEnd();
  print(markdown.split('\n').slice(2).join('\n'));
  return { id: scenario.id, order: scenario.number, markdown };
}

async function main(): Promise<void> {
  const parsed = parseArguments(process.argv.slice(2));
  if ('usage' in parsed) {
    print(parsed.usage);
    process.exitCode = parsed.failed ? 2 : 0;
    return;
  }
  const machine = machineLine(await describeMachine(BENCH_SERVER_URL));
  print(`# Benchmarks${parsed.quick ? ' (--quick: few samples, numbers not kept)' : ''}\n`);
  print(`Machine: ${machine}`);
  const sections: ResultSection[] = [];
  for (const scenario of parsed.selected) {
    sections.push(await runScenario(scenario, parsed.quick, machine));
  }
  if (parsed.write) {
    let existing = '';
    try {
      existing = readFileSync(RESULTS_FILE, 'utf8');
    } catch {
      // first run: no file yet
    }
    writeFileSync(RESULTS_FILE, mergeResults(existing, sections));
    print(`\nWrote ${RESULTS_FILE}`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
