import {
  type CanActivate,
  type ExecutionContext,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import type { DemoEnvironment } from '../config/demo.environment';
import type { AuthenticatedRequest } from './authenticated-user';
import { CLOCK_SKEW_SECONDS, type TimeClaims, tokenTimesAcceptable } from './token-lifetime';

/**
 * Requires `Authorization: Bearer <JWT>`, HS256-signed with the configured secret, with an `exp`
 * no further ahead than `JWT_MAX_TTL_SECONDS` (nor further from its `iat`), valid now within
 * `CLOCK_SKEW_SECONDS` (`exp`, `nbf`, and an `iat` not in the future), with an `email` claim.
 * Everything else (missing, malformed, unsigned `alg: none`, wrongly signed, expired, no `exp`,
 * too long-lived, issued in the future) is a 401 with the same message: the response never says
 * which check failed. The scheme name is case-insensitive (RFC 7235); every 401 names it in
 * `WWW-Authenticate` (RFC 6750).
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  private readonly maxTtlSeconds: number;

  constructor(
    private readonly jwt: JwtService,
    config: ConfigService<DemoEnvironment, true>,
  ) {
    this.maxTtlSeconds = config.get('JWT_MAX_TTL_SECONDS', { infer: true });
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<AuthenticatedRequest>();
    const reject = (message: string) => {
      http
        .getResponse<{ setHeader(name: string, value: string): void }>()
        .setHeader('WWW-Authenticate', 'Bearer');
      return new UnauthorizedException(message);
    };
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer ([^\s]+)$/i.exec(header) : null;
    if (match === null) throw reject('a valid bearer token is required');
    let claims: TimeClaims & { email?: unknown };
    try {
      claims = await this.jwt.verifyAsync<TimeClaims & { email?: unknown }>(match[1], {
        algorithms: ['HS256'],
        clockTolerance: CLOCK_SKEW_SECONDS,
      });
    } catch {
      throw reject('a valid bearer token is required');
    }
    if (!tokenTimesAcceptable(claims, Date.now() / 1000, this.maxTtlSeconds)) {
      throw reject('a valid bearer token is required');
    }
    if (typeof claims.email !== 'string' || claims.email.trim() === '') {
      throw reject('the token carries no email claim');
    }
    request.user = { email: claims.email };
    return true;
  }
}
