/**
 * The runner's checks, each printed as it completes (PASS/FAIL and why), then a summary. A check
 * that throws fails with the error's message; the run goes on, so one failure hides no other.
 */
export class Report {
  /** @type {{ name: string, ok: boolean, detail: string }[]} */
  results = [];
  /** Strings never to print (a database password): replaced by `***` in every line. */
  #secrets = new Set();

  /** Registers a secret to keep out of the output. */
  redact(secret) {
    if (secret !== '') this.#secrets.add(secret);
  }

  /** Runs `fn` as the check `name`; its string result, if any, is printed beside PASS. */
  async check(name, fn) {
    try {
      const detail = (await fn()) ?? '';
      this.#record(name, true, detail);
      return true;
    } catch (error) {
      this.#record(name, false, error instanceof Error ? error.message : String(error));
      return false;
    }
  }

  /** Records `name` as failed without running it (what it needed failed first). */
  skip(name, reason) {
    this.#record(name, false, `not run: ${reason}`);
  }

  get failed() {
    return this.results.filter((result) => !result.ok);
  }

  /** Prints the summary; returns the process exit code. */
  summarize() {
    const failed = this.failed;
    print(
      `\n=== compatibility summary: ${this.results.length - failed.length} passed, ${failed.length} failed`,
    );
    for (const { name, detail } of failed) print(`FAIL ${name}\n     ${detail.split('\n')[0]}`);
    return failed.length === 0 ? 0 : 1;
  }

  #record(name, ok, raw) {
    let detail = raw;
    for (const secret of this.#secrets) detail = detail.replaceAll(secret, '***');
    this.results.push({ name, ok, detail });
    print(
      `${ok ? 'PASS' : 'FAIL'} ${name}${detail === '' ? '' : ok ? ` (${detail})` : `\n     ${detail}`}`,
    );
  }
}

/** One line to stdout (the runner's only output channel; secrets never reach it). */
export function print(line) {
  process.stdout.write(`${line}\n`);
}

/** Throws `message` unless `condition`. */
export function expect(condition, message) {
  if (!condition) throw new Error(message);
}
