import { MODULE_METADATA } from '@nestjs/common/constants';
import * as publicSurface from './index';
import { CheckpointerModule } from './checkpointer.module';
import { CheckpointerLogger } from './common/checkpointer.logger';

type Token = string | symbol | (abstract new (...args: never[]) => unknown);

const metadata = (key: string) =>
  (Reflect.getMetadata(key, CheckpointerModule) as unknown[]).map((entry) =>
    typeof entry === 'object' && entry !== null && 'provide' in entry
      ? (entry as { provide: Token }).provide
      : (entry as Token),
  );

describe('the public surface', () => {
  const exported = new Set(metadata(MODULE_METADATA.EXPORTS));
  const provided = new Set(metadata(MODULE_METADATA.PROVIDERS));
  const fromIndex = new Set<unknown>(Object.values(publicSurface));

  it('every provider a user can import from the index, an importing module can inject', () => {
    const notInjectable = [...fromIndex].filter(
      (value) => provided.has(value as Token) && !exported.has(value as Token),
    );
    expect(notInjectable).toEqual([]);
  });

  it("keeps the raw options token internal: the validated options are getCheckpointerOptionsToken()'s", () => {
    expect(publicSurface).not.toHaveProperty('CHECKPOINTER_MODULE_OPTIONS');
    expect(exported.has(publicSurface.getCheckpointerOptionsToken())).toBe(true);
  });

  it('exports beyond the index only CheckpointerLogger, which RetryInterceptor needs in the importing module', () => {
    const internal = [...exported].filter(
      (token) => typeof token === 'function' && !fromIndex.has(token),
    );
    expect(internal).toEqual([CheckpointerLogger]);
  });
});
