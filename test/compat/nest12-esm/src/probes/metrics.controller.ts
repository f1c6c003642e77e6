import { Controller, Get } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { CheckpointerModule } from 'nestjs-langgraph-checkpointer';

/** `app.get(CheckpointerModule).metrics()`, as the README shows it, over HTTP for the runner. */
@Controller('probes')
export class MetricsController {
  constructor(private readonly moduleRef: ModuleRef) {}

  @Get('metrics')
  metrics() {
    return this.moduleRef.get(CheckpointerModule, { strict: false }).metrics();
  }
}
