import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

/** The caller, as established by `JwtAuthGuard` from the token's `email` claim. */
export interface AuthenticatedUser {
  readonly email: string;
}

/** The request shape after `JwtAuthGuard` ran. */
export interface AuthenticatedRequest {
  user?: AuthenticatedUser;
  headers: Record<string, string | string[] | undefined>;
}

/** Injects the authenticated user's email into a handler parameter. */
export const UserEmail = createParamDecorator((_data: unknown, context: ExecutionContext) => {
  const user = context.switchToHttp().getRequest<AuthenticatedRequest>().user;
  if (user === undefined) throw new Error('UserEmail used on a route without JwtAuthGuard');
  return user.email;
});
