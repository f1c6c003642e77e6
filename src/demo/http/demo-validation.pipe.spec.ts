import { BadRequestException } from '@nestjs/common';
import { CreateRunBody } from '../threads/thread.requests';
import { DemoValidationPipe } from './demo-validation.pipe';

describe('DemoValidationPipe', () => {
  const pipe = new DemoValidationPipe();
  const body = { type: 'body', metatype: CreateRunBody } as const;

  it('validates as the ValidationPipe does', async () => {
    await expect(pipe.transform({ prompt: 'hi' }, body)).resolves.toEqual({ prompt: 'hi' });
    await expect(pipe.transform({ prompt: 7 }, body)).rejects.toMatchObject({
      response: { message: ['prompt must be a string'] },
    });
  });

  it('input that breaks validation itself (nested past the stack) is a 400, not a crash', async () => {
    const deep = JSON.parse(`${'['.repeat(20_000)}${']'.repeat(20_000)}`) as unknown;
    const refused = await pipe.transform(deep, body).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BadRequestException);
    expect(refused).toMatchObject({ response: { message: ['body could not be validated'] } });
  });
});
