import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { CheckpointerHealthIndicator } from '../../checkpointer';

/**
 * Liveness and readiness, kept apart: liveness never touches the database (an outage must not
 * make the orchestrator restart every replica), readiness does.
 */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly checkpointer: CheckpointerHealthIndicator,
  ) {}

  /** The process is up and serving HTTP. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /** The database answers: 503 when it does not, and while the application shuts down. */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => this.checkpointer.isHealthy('checkpointer', { timeoutMs: 1000 }),
    ]);
  }
}
