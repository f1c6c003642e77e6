import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { CheckpointerModuleOptions } from './options/checkpointer.options';

/** Registration-time extras: they shape the module, and never reach the options object. */
export interface CheckpointerModuleExtras {
  /** Register the module globally, so its providers need not be imported per module. Default: `false`. */
  isGlobal?: boolean;
}

export const {
  ConfigurableModuleClass: ConfigurableCheckpointerModule,
  MODULE_OPTIONS_TOKEN: CHECKPOINTER_MODULE_OPTIONS,
  OPTIONS_TYPE: CHECKPOINTER_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: CHECKPOINTER_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<CheckpointerModuleOptions>({ moduleName: 'Checkpointer' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createCheckpointerOptions')
  .setExtras<CheckpointerModuleExtras>({ isGlobal: false }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();

/** What `forRoot()` accepts: the options plus `isGlobal`. */
export type CheckpointerModuleForRootOptions = typeof CHECKPOINTER_OPTIONS_TYPE;
/** What `forRootAsync()` accepts: `imports`, `useFactory`/`useClass`/`useExisting`, `inject`, `isGlobal`. */
export type CheckpointerModuleAsyncOptions = typeof CHECKPOINTER_ASYNC_OPTIONS_TYPE;
