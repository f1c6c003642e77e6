import type { ResultTable } from './format';

/** What every scenario gets from the runner. */
export interface BenchContext {
  /** Admin URL of the PostgreSQL server; each scenario creates and drops its own databases on it. */
  readonly serverUrl: string;
  /** Fewer samples and shorter rounds: checks that the bench runs, numbers not meaningful. */
  readonly quick: boolean;
  /** A progress line on stderr (results go to stdout). */
  progress(line: string): void;
}

/** What a scenario reports: tables with our figure, the baseline's and the ratio, and notes. */
export interface ScenarioResult {
  readonly tables: readonly ResultTable[];
  /** Markdown lines under the tables: goals met or not, caveats. */
  readonly notes: readonly string[];
}

/** One benchmark scenario: a module under `bench/scenarios/`, listed in `scenarios/index.ts`. */
export interface Scenario {
  /** The name that selects it on the command line (`npm run bench -- <id>`). */
  readonly id: string;
  /** Its number in issue 6, which orders RESULTS.md. */
  readonly number: number;
  readonly title: string;
  /** What our figure is compared with. */
  readonly baseline: string;
  run(context: BenchContext): Promise<ScenarioResult>;
}
