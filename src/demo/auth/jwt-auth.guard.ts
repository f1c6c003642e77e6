import {
  type CanActivate,
  type ExecutionContext,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { AuthenticatedRequest } from './authenticated-user';

/**
 * Requires `Authorization: Bearer <JWT>`, HS256-signed with the configured secret, unexpired,
 * with an `email` claim. Everything else (missing, malformed, unsigned `alg: none`, wrongly
 * signed, expired) is a 401 with the same message: the response never says which check failed.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(private readonly jwt: JwtService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer ([^\s]+)$/.exec(header) : null;
    if (match === null) throw new UnauthorizedException('a valid bearer token is required');
    let claims: { email?: unknown };
    try {
      claims = await this.jwt.verifyAsync<{ email?: unknown }>(match[1], { algorithms: ['HS256'] });
    } catch {
      throw new UnauthorizedException('a valid bearer token is required');
    }
    if (typeof claims.email !== 'string' || claims.email.trim() === '') {
      throw new UnauthorizedException('the token carries no email claim');
    }
    request.user = { email: claims.email };
    return true;
  }
}
