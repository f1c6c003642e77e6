import {
  type ArgumentMetadata,
  BadRequestException,
  HttpException,
  Logger,
  ValidationPipe,
} from '@nestjs/common';

/**
 * The global `ValidationPipe` of the demo (whitelist, unknown fields rejected, types transformed),
 * which answers 400 for whatever it cannot validate. The DTOs are fixed, so an error thrown while
 * transforming or validating (say, a `RangeError` from input nested past the stack) is down to the
 * client's input: it is a 400 naming the part of the request, never a 500.
 */
export class DemoValidationPipe extends ValidationPipe {
  private readonly logger = new Logger('DemoValidationPipe');

  constructor() {
    super({ whitelist: true, forbidNonWhitelisted: true, transform: true });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    try {
      return (await super.transform(value, metadata)) as unknown;
    } catch (error) {
      if (error instanceof HttpException) throw error;
      // The input itself is never logged: it is the client's, and may be anything.
      this.logger.warn(
        `${metadata.type} could not be validated: ${error instanceof Error ? error.name : 'error'}`,
      );
      throw new BadRequestException([`${metadata.type} could not be validated`]);
    }
  }
}
