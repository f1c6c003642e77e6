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

  /**
   * The process is up and serving HTTP. Deliberately not a Terminus check: Terminus answers every
   * check 503 while shutting down, and a draining process is still alive.
   */
  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * The database answers: 503 when it does not, and while the application shuts down (for
   * `SHUTDOWN_GRACE_MS` after SIGTERM the server keeps serving, so load balancers see it drain).
   */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => this.checkpointer.isHealthy('checkpointer', { timeoutMs: 1000 }),
    ]);
  }
}
