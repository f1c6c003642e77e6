import type { DynamicModule, Type } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { RetryInterceptor } from 'nestjs-langgraph-checkpointer';
import { ChatTurnsController } from './chat-turns.controller.js';
import { MetricsController } from './metrics.controller.js';
import {
  AppInterceptorProbes,
  Attempts,
  UseInterceptorsProbes,
} from './retry-probes.controller.js';

/** How RetryInterceptor is applied, both as its JSDoc and the README show. */
export type RetryWiring = 'UseInterceptors' | 'APP_INTERCEPTOR';

export function parseRetryWiring(value: string | undefined): RetryWiring {
  if (value === 'UseInterceptors' || value === 'APP_INTERCEPTOR') return value;
  throw new Error(`COMPAT_RETRY_WIRING must be UseInterceptors or APP_INTERCEPTOR, got ${value}`);
}

/**
 * `appModule` itself, extended with the probes: a dynamic module's metadata adds to its class's
 * `@Module()`, so the probes are consumers in the very module that imports CheckpointerModule
 * (not global), as a user's own controllers would be, and the README's files stay untouched.
 */
export function withProbes(appModule: Type, wiring: RetryWiring): DynamicModule {
  return {
    module: appModule,
    controllers: [
      ChatTurnsController,
      MetricsController,
      wiring === 'UseInterceptors' ? UseInterceptorsProbes : AppInterceptorProbes,
    ],
    providers: [
      Attempts,
      ...(wiring === 'APP_INTERCEPTOR'
        ? [{ provide: APP_INTERCEPTOR, useExisting: RetryInterceptor }]
        : []),
    ],
  };
}
