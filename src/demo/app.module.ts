import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { CheckpointerModule, checkpointerOptionsFromEnv } from '../checkpointer';
import { HealthController } from './health/health.controller';

/** The demo application: the module used exactly as a user would. */
@Module({
  imports: [
    TerminusModule,
    CheckpointerModule.forRootAsync({ useFactory: () => checkpointerOptionsFromEnv() }),
  ],
  controllers: [HealthController],
})
export class AppModule {}
