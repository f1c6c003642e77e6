import { NO_ROWS, addCounts } from './retention.models';
import { Pacer, RetentionStopped, pause } from './retention.sweeper';

describe('Pacer', () => {
  it('pauses once a batch of work is spent, then counts afresh', async () => {
    const pacer = new Pacer(10, 40, new AbortController().signal);
    const timed = async (units: number) => {
      const started = performance.now();
      await pacer.spend(units);
      return performance.now() - started;
    };
    expect(await timed(4)).toBeLessThan(30);
    expect(await timed(5)).toBeLessThan(30);
    expect(await timed(1)).toBeGreaterThanOrEqual(35); // 10 spent: the pause
    expect(await timed(9)).toBeLessThan(30);
  });

  it('stops at once when its signal aborts, paused or not', async () => {
    const controller = new AbortController();
    const pacer = new Pacer(1, 60_000, controller.signal);
    const paused = pacer.spend(1);
    controller.abort();
    await expect(paused).rejects.toBeInstanceOf(RetentionStopped);
    await expect(pacer.spend(0)).rejects.toBeInstanceOf(RetentionStopped);
    await expect(pause(0, controller.signal)).rejects.toBeInstanceOf(RetentionStopped);
  });
});

describe('addCounts', () => {
  it('adds table by table, absent tables as 0', () => {
    expect(addCounts({ ...NO_ROWS, checkpoints: 2 }, { checkpoints: 3, users_threads: 1 })).toEqual(
      {
        ...NO_ROWS,
        checkpoints: 5,
        users_threads: 1,
      },
    );
  });
});
