import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { CheckpointerHealthIndicator } from '../../checkpointer';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly checkpointer: CheckpointerHealthIndicator,
  ) {}

  /** Readiness: the database answers within a second. */
  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.checkpointer.isHealthy('checkpointer')]);
  }
}
