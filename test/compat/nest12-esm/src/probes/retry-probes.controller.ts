import { Controller, Get, Injectable, UseInterceptors } from '@nestjs/common';
import { PoolManager, RetryInterceptor, Retryable } from 'nestjs-langgraph-checkpointer';

/** Handler attempts per probe, so the runner can tell a retried request from a lucky one. */
@Injectable()
export class Attempts {
  private readonly byProbe = new Map<string, number>();

  constructor(private readonly pools: PoolManager) {}

  /** Attempt 1 loses its connection for real (57P01, as a failover would); attempt 2 answers. */
  async terminateOnce(probe: string): Promise<{ attempts: number }> {
    const attempts = this.count(probe);
    if (attempts === 1)
      await this.pools.pool.query('SELECT pg_terminate_backend(pg_backend_pid())');
    else await this.pools.pool.query('SELECT 1');
    return { attempts };
  }

  /**
   * Attempt 1 fails the way a call to another service does (a socket reset that never touched the
   * database pool); attempt 2 answers. The pool must be left alone either way.
   */
  resetOnce(probe: string): Promise<{ attempts: number }> {
    const attempts = this.count(probe);
    if (attempts === 1) {
      const error = Object.assign(new Error('read ECONNRESET (an upstream HTTP API)'), {
        code: 'ECONNRESET',
        errno: -104,
        syscall: 'read',
      });
      return Promise.reject(error);
    }
    return Promise.resolve({ attempts });
  }

  private count(probe: string): number {
    const attempts = (this.byProbe.get(probe) ?? 0) + 1;
    this.byProbe.set(probe, attempts);
    return attempts;
  }
}

/** RetryInterceptor applied by `@UseInterceptors(RetryInterceptor)`, as its JSDoc shows. */
@Controller('probes/use-interceptors')
@UseInterceptors(RetryInterceptor)
export class UseInterceptorsProbes {
  constructor(private readonly attempts: Attempts) {}

  @Get('terminate')
  @Retryable()
  terminate() {
    return this.attempts.terminateOnce('use-interceptors/terminate');
  }

  @Get('econnreset')
  @Retryable()
  econnreset() {
    return this.attempts.resetOnce('use-interceptors/econnreset');
  }
}

/** RetryInterceptor applied by `{ provide: APP_INTERCEPTOR, useExisting: RetryInterceptor }`. */
@Controller('probes/app-interceptor')
@Retryable()
export class AppInterceptorProbes {
  constructor(private readonly attempts: Attempts) {}

  @Get('terminate')
  terminate() {
    return this.attempts.terminateOnce('app-interceptor/terminate');
  }

  @Get('econnreset')
  econnreset() {
    return this.attempts.resetOnce('app-interceptor/econnreset');
  }
}
