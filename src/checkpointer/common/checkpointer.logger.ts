import { Inject, Injectable, Logger } from '@nestjs/common';
import { getCheckpointerOptionsToken } from './checkpointer.tokens';

/** The log context of everything this module logs. */
export const CHECKPOINTER_LOG_CONTEXT = 'CheckpointerModule';

/**
 * Nest `Logger` with the `CheckpointerModule` context, silenced by `logger: false`. One provider,
 * so every part of the module logs the same way and no part decides on its own. Callers must pass
 * nothing secret: messages are built from `ConnectionProvider.describe()`, never from raw options.
 */
@Injectable()
export class CheckpointerLogger {
  private readonly logger = new Logger(CHECKPOINTER_LOG_CONTEXT);
  private readonly enabled: boolean;

  // Typed by the one field it reads: common/ sits below options/ and never imports it.
  constructor(@Inject(getCheckpointerOptionsToken()) options: { readonly logger: boolean }) {
    this.enabled = options.logger;
  }

  debug(message: string): void {
    if (this.enabled) this.logger.debug(message);
  }

  log(message: string): void {
    if (this.enabled) this.logger.log(message);
  }

  warn(message: string): void {
    if (this.enabled) this.logger.warn(message);
  }

  error(message: string): void {
    if (this.enabled) this.logger.error(message);
  }
}
