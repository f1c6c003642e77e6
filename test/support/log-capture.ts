import type { LoggerService } from '@nestjs/common';

/** One line logged through Nest `Logger`. */
export interface CapturedLog {
  readonly level: 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';
  readonly message: string;
  readonly context: string | undefined;
}

/**
 * A Nest `LoggerService` that records every line, so tests can assert what the module logs (and
 * that it never logs a secret). Pass it to `bootCheckpointer(options, { logger })`.
 */
export class LogCapture implements LoggerService {
  readonly lines: CapturedLog[] = [];

  /** Messages logged with `context`, e.g. `CheckpointerModule`. */
  of(context: string): CapturedLog[] {
    return this.lines.filter((line) => line.context === context);
  }

  /** Everything captured, as one string, for `not.toContain(secret)` checks. */
  text(): string {
    return this.lines.map((l) => `${l.level} [${l.context}] ${l.message}`).join('\n');
  }

  log(message: unknown, context?: string): void {
    this.push('log', message, context);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.push('error', message, rest[rest.length - 1]);
  }
  warn(message: unknown, context?: string): void {
    this.push('warn', message, context);
  }
  debug(message: unknown, context?: string): void {
    this.push('debug', message, context);
  }
  verbose(message: unknown, context?: string): void {
    this.push('verbose', message, context);
  }
  fatal(message: unknown, context?: string): void {
    this.push('fatal', message, context);
  }

  private push(level: CapturedLog['level'], message: unknown, context: unknown): void {
    this.lines.push({
      level,
      message: String(message),
      context: typeof context === 'string' ? context : undefined,
    });
  }
}
