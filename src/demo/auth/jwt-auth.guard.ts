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
 * The scheme name is case-insensitive (RFC 7235); every 401 names it in `WWW-Authenticate`
 * (RFC 6750).
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(private readonly jwt: JwtService) {}

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
    let claims: { email?: unknown };
    try {
      claims = await this.jwt.verifyAsync<{ email?: unknown }>(match[1], { algorithms: ['HS256'] });
    } catch {
      throw reject('a valid bearer token is required');
    }
    if (typeof claims.email !== 'string' || claims.email.trim() === '') {
      throw reject('the token carries no email claim');
    }
    request.user = { email: claims.email };
    return true;
  }
}
