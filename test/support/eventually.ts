import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `condition` until it holds, failing with `what` after `withinMs`. For outcomes that the
 * issue bounds in time (health down within 2 s), never for speed goals.
 */
export async function eventually(
  what: string,
  withinMs: number,
  condition: () => Promise<boolean> | boolean,
  everyMs = 50,
): Promise<void> {
  const deadline = performance.now() + withinMs;
  for (;;) {
    if (await condition()) return;
    if (performance.now() > deadline) throw new Error(`not within ${withinMs} ms: ${what}`);
    await sleep(everyMs);
  }
}
