import { Body, Controller, Post } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { ApiCreatedResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsEmail, Length } from 'class-validator';

export class DevTokenBody {
  @ApiProperty({ example: 'alice@example.com', maxLength: 254 })
  @IsEmail()
  @Length(3, 254)
  email: string;
}

/** A development token: what `npm run token` prints, for the chat page's sign-in form. */
export interface DevToken {
  token: string;
  email: string;
  /** When the token expires (ISO 8601). */
  expires_at: string;
}

/**
 * `POST /dev/token`: a bearer token for any email, signed with the app's secret, so that the chat
 * page can sign in by email. Development only: it is not registered at all in production or test
 * (a 404, and absent from the OpenAPI document), where tokens come from an identity provider
 * or `npm run token`.
 */
@ApiTags('development')
@Controller('dev')
export class DevTokenController {
  constructor(private readonly jwt: JwtService) {}

  @Post('token')
  @ApiCreatedResponse({ description: '`{ token, email, expires_at }`: a token for that email.' })
  issue(@Body() { email }: DevTokenBody): DevToken {
    const token = this.jwt.sign({ email });
    const { exp } = this.jwt.decode<{ exp: number }>(token);
    return { token, email, expires_at: new Date(exp * 1000).toISOString() };
  }
}
