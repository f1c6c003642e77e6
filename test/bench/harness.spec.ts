/** The pure parts of the benchmark harness (`bench/harness/`): statistics and RESULTS.md merging. */
import { mergeResults } from '../../bench/harness/results-file';
import { quantile, speedup, summarize } from '../../bench/harness/stats';
import { factor, ratio } from '../../bench/harness/format';
import { timeInRotation } from '../../bench/harness/timing';

describe('bench statistics', () => {
  it('interpolates quantiles between closest ranks', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([10], 0.95)).toBe(10);
    expect(summarize([5, 1, 4, 2, 3])).toEqual({ median: 3, p95: 4.8, n: 5 });
    expect(() => quantile([], 0.5)).toThrow('no samples');
  });

  it('states speed-ups as "above 1 is better for us" for times and rates alike', () => {
    expect(speedup(2, 6, 'lower')).toBe(3);
    expect(speedup(300, 100, 'higher')).toBe(3);
    expect(ratio(0.996)).toBe('0.996x (slower)');
    expect(ratio(3.04)).toBe('3.04x');
    expect(factor(0.5)).toBe('0.50x');
  });
});

describe('timing in rotation', () => {
  it('times each contender once per iteration, one further along each time, warm-up dropped', async () => {
    const calls: string[] = [];
    const contender = (name: string) => () => Promise.resolve(calls.push(name));
    const samples = await timeInRotation([contender('a'), contender('b'), contender('c')], {
      warmup: 1,
      iterations: 3,
    });
    expect(calls.join('')).toBe('abc' + 'bca' + 'cab' + 'abc');
    expect(samples.map((s) => s.length)).toEqual([3, 3, 3]);
  });
});

describe('RESULTS.md merging', () => {
  it('replaces the sections of the scenarios run and keeps the others, in scenario order', () => {
    const first = mergeResults('', [
      { id: 'boot', order: 5, markdown: '## 5. Boot\nold boot' },
      { id: 'saver', order: 1, markdown: '## 1. Saver\nold saver' },
    ]);
    expect(first.indexOf('old saver')).toBeLessThan(first.indexOf('old boot'));
    const second = mergeResults(first, [
      { id: 'boot', order: 5, markdown: '## 5. Boot\nnew boot' },
    ]);
    expect(second).toContain('old saver');
    expect(second).toContain('new boot');
    expect(second).not.toContain('old boot');
    expect(second.match(/<!-- bench:boot /g)).toHaveLength(1);
  });
});
