/** Samples (milliseconds) of ours and the baseline, taken alternately. */
export interface PairedSamples {
  readonly ours: number[];
  readonly baseline: number[];
}

/** How many calls to discard, then to time. */
export interface SamplingPlan {
  readonly warmup: number;
  readonly iterations: number;
}

/** Milliseconds `fn` took. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

/**
 * Times `ours` and `baseline` one call each per iteration, alternating which goes first, so
 * drifts in machine load, caches and table size hit both alike.
 */
export async function timeAlternately(
  ours: () => Promise<unknown>,
  baseline: () => Promise<unknown>,
  plan: SamplingPlan,
): Promise<PairedSamples> {
  const samples: PairedSamples = { ours: [], baseline: [] };
  for (let i = 0; i < plan.warmup + plan.iterations; i += 1) {
    const pair = i % 2 === 0 ? [ours, baseline] : [baseline, ours];
    const first = await timed(pair[0]);
    const second = await timed(pair[1]);
    if (i < plan.warmup) continue;
    samples.ours.push(i % 2 === 0 ? first : second);
    samples.baseline.push(i % 2 === 0 ? second : first);
  }
  return samples;
}

/**
 * Times every function of `contenders` once per iteration, starting each iteration one further
 * along the list, so that drifts in load and caches hit all of them alike. Returns the samples
 * of each, in the order given.
 */
export async function timeInRotation(
  contenders: readonly (() => Promise<unknown>)[],
  plan: SamplingPlan,
): Promise<number[][]> {
  const samples = contenders.map(() => [] as number[]);
  for (let i = 0; i < plan.warmup + plan.iterations; i += 1) {
    for (let k = 0; k < contenders.length; k += 1) {
      const which = (i + k) % contenders.length;
      const elapsed = await timed(contenders[which]);
      if (i >= plan.warmup) samples[which].push(elapsed);
    }
  }
  return samples;
}
