import { TurnQueue } from './turn-queue';

/** A promise to settle by hand, to control when each piece of work ends. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every queued microtask run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('TurnQueue', () => {
  it('runs the work of one key one at a time, in arrival order', async () => {
    const queue = new TurnQueue();
    const log: string[] = [];
    const gates = [deferred(), deferred(), deferred()];
    const runs = gates.map((gate, i) =>
      queue.run('thread', async () => {
        log.push(`start ${i}`);
        await gate.promise;
        log.push(`end ${i}`);
        return i;
      }),
    );
    await settle();
    expect(log).toEqual(['start 0']);
    gates[2].resolve();
    gates[1].resolve();
    await settle();
    expect(log).toEqual(['start 0']);
    gates[0].resolve();
    expect(await Promise.all(runs)).toEqual([0, 1, 2]);
    expect(log).toEqual(['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('runs the work of different keys concurrently', async () => {
    const queue = new TurnQueue();
    const gate = deferred();
    const started: string[] = [];
    const a = queue.run('a', async () => {
      started.push('a');
      await gate.promise;
    });
    const b = queue.run('b', () => {
      started.push('b');
      return Promise.resolve();
    });
    await b;
    expect(started).toEqual(['a', 'b']);
    gate.resolve();
    await a;
  });

  it('a failure reaches its caller only, and the next work of the key still runs', async () => {
    const queue = new TurnQueue();
    const failing = queue.run('thread', () => Promise.reject(new Error('boom')));
    const next = queue.run('thread', () => Promise.resolve('next'));
    await expect(failing).rejects.toThrow('boom');
    await expect(next).resolves.toBe('next');
    // And the key is usable again afterwards.
    await expect(queue.run('thread', () => Promise.resolve('later'))).resolves.toBe('later');
  });
});
