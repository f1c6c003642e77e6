import { InjectCheckpointer, InjectCheckpointerDb } from './checkpointer.decorators';
import {
  getCheckpointerDbToken,
  getCheckpointerOptionsToken,
  getCheckpointerToken,
} from './checkpointer.tokens';

describe('tokens', () => {
  it('are distinct, stable strings (they appear in Nest’s dependency errors)', () => {
    expect(
      new Set([getCheckpointerToken(), getCheckpointerDbToken(), getCheckpointerOptionsToken()])
        .size,
    ).toBe(3);
    expect(getCheckpointerOptionsToken()).toBe('CheckpointerResolvedOptions');
  });

  it('take no instance name: asking for a named instance fails to compile, not at boot', () => {
    // `npm run typecheck` fails if these calls ever compile again ("unused @ts-expect-error").
    // @ts-expect-error one module instance per application
    expect(getCheckpointerToken('archive')).toBe(getCheckpointerToken());
    // @ts-expect-error one module instance per application
    expect(typeof InjectCheckpointer('archive')).toBe('function');
    // @ts-expect-error one module instance per application
    expect(typeof InjectCheckpointerDb('archive')).toBe('function');
  });
});
