/** Results, to stdout. */
export function print(text = ''): void {
  process.stdout.write(`${text}\n`);
}

/** Progress, to stderr, so stdout holds only the results. */
export function progress(text: string): void {
  process.stderr.write(`  … ${text}\n`);
}
