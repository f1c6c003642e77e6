import { Controller, Get, HttpException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, type HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import { CheckpointerHealthIndicator } from '../../checkpointer';
import type { DemoEnvironment } from '../config/demo.environment';

/**
 * Liveness and readiness, kept apart: liveness never touches the database (an outage must not
 * make the orchestrator restart every replica), readiness does. Both are unauthenticated, so
 * readiness shows its details (driver error text, pool counters, schema versions) only when
 * `HEALTH_DETAILS` is on (by default not in production); the status codes are the same either way.
 */
@ApiTags('health')
@Controller('health')
export class HealthController {
  private readonly details: boolean;

  constructor(
    private readonly health: HealthCheckService,
    private readonly checkpointer: CheckpointerHealthIndicator,
    config: ConfigService<DemoEnvironment, true>,
  ) {
    this.details = config.get('HEALTH_DETAILS', { infer: true });
  }

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
  async ready(): Promise<HealthCheckResult> {
    const check = this.health.check([
      () => this.checkpointer.isHealthy('checkpointer', { timeoutMs: 1000 }),
    ]);
    if (this.details) return check;
    try {
      return statusOnly(await check);
    } catch (error) {
      if (!(error instanceof HttpException)) throw error;
      throw new HttpException(
        statusOnly(error.getResponse() as HealthCheckResult),
        error.getStatus(),
      );
    }
  }
}

/** Terminus's shape, with its status and nothing else. */
function statusOnly(result: HealthCheckResult): HealthCheckResult {
  return { status: result.status, info: {}, error: {}, details: {} };
}
