import { BadRequestException } from '@nestjs/common';

/**
 * Deepest nesting of arrays and objects a request body may have: a body object is depth 1, and
 * every request of the API is flat (depth 1 or 2). A limit at all because class-transformer and
 * class-validator walk a body recursively: 1,500 nested arrays overflowed the stack, a 500.
 */
export const MAX_BODY_DEPTH = 32;

/**
 * Whether `value` nests arrays and objects deeper than `max` levels, found without recursion (so a
 * body of any depth is measured safely) and without looking further than the first level too deep.
 *
 * @example
 * nestingExceeds({ a: [1] }, 2); // false: the object, then the array
 * nestingExceeds([[[]]], 2); // true
 */
export function nestingExceeds(value: unknown, max: number): boolean {
  const pending: [unknown, number][] = [[value, 1]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [item, depth] = next;
    if (typeof item !== 'object' || item === null) continue;
    if (depth > max) return true;
    for (const child of Object.values(item)) pending.push([child, depth + 1]);
  }
  return false;
}

/** What the middleware needs of Express's request. */
interface ParsedRequest {
  readonly body?: unknown;
}

/**
 * Express middleware, after the body parsers and before any pipe: a body nested deeper than
 * `MAX_BODY_DEPTH` is a 400 that says so, before validation walks it.
 */
export function rejectDeepBodies(
  request: ParsedRequest,
  _response: unknown,
  next: (error?: unknown) => void,
): void {
  if (nestingExceeds(request.body, MAX_BODY_DEPTH)) {
    next(
      new BadRequestException([
        `body must not nest arrays and objects more than ${MAX_BODY_DEPTH} levels deep`,
      ]),
    );
    return;
  }
  next();
}
