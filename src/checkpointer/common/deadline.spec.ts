import { withDeadline } from './deadline';

describe('withDeadline', () => {
  it('resolves with the work when it settles first, and clears its timer', async () => {
    const cleared = jest.spyOn(global, 'clearTimeout');
    await expect(withDeadline(Promise.resolve(7), 1000, () => new Error('late'))).resolves.toBe(7);
    expect(cleared).toHaveBeenCalled();
    cleared.mockRestore();
  });

  it('rejects with the work’s own error when it fails first', async () => {
    const failure = new Error('refused');
    await expect(withDeadline(Promise.reject(failure), 1000, () => new Error('late'))).rejects.toBe(
      failure,
    );
  });

  it('rejects with the timeout error when the deadline wins, and hands the late value to onLate', async () => {
    let deliver: (value: string) => void = () => undefined;
    const work = new Promise<string>((resolve) => (deliver = resolve));
    const late: string[] = [];
    await expect(
      withDeadline(
        work,
        5,
        () => new Error('no connection within 5 ms'),
        (v) => late.push(v),
      ),
    ).rejects.toThrow('no connection within 5 ms');
    deliver('connection');
    await work;
    await Promise.resolve();
    expect(late).toEqual(['connection']);
  });

  it('never calls onLate when the work won', async () => {
    const onLate = jest.fn();
    await withDeadline(Promise.resolve('x'), 1000, () => new Error('late'), onLate);
    await new Promise((resolve) => setImmediate(resolve));
    expect(onLate).not.toHaveBeenCalled();
  });
});
