/**
 * Prints a bearer token for the demo: `npm run token -- alice@example.com [expires-in]`, where
 * expires-in is `90s`, `30m`, `12h` or `1d` (default: 12h, or JWT_MAX_TTL_SECONDS if shorter) and
 * may not exceed JWT_MAX_TTL_SECONDS (the app would refuse the token).
 * Signs with JWT_SECRET, or with the development secret the app generated in .data/.
 */
import { JwtService } from '@nestjs/jwt';
import { resolveJwtSecret } from './auth/jwt-secret';
import { DEFAULT_TOKEN_TTL_SECONDS, parseDuration } from './auth/token-lifetime';
import { type DemoEnvironment, validateDemoEnvironment } from './config/demo.environment';

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

const [email, expiresIn] = process.argv.slice(2);
if (email === undefined || !email.includes('@')) {
  fail('usage: npm run token -- <email> [expires-in, e.g. 90s, 30m, 12h, 1d]');
}
let env: DemoEnvironment;
try {
  env = validateDemoEnvironment(process.env);
} catch (error) {
  fail((error as Error).message);
}
const maxSeconds = env.JWT_MAX_TTL_SECONDS;
const seconds =
  expiresIn === undefined
    ? Math.min(DEFAULT_TOKEN_TTL_SECONDS, maxSeconds)
    : parseDuration(expiresIn);
if (seconds === undefined) {
  fail(
    `expires-in must be a whole number with a unit (90s, 30m, 12h, 1d), got ${JSON.stringify(expiresIn)}`,
  );
}
if (seconds > maxSeconds) {
  fail(
    `expires-in ${expiresIn} is longer than JWT_MAX_TTL_SECONDS (${maxSeconds} s): ` +
      'the app would refuse the token',
  );
}
const { secret } = resolveJwtSecret(env);
const token = new JwtService({ secret }).sign(
  { email },
  { algorithm: 'HS256', expiresIn: seconds },
);
process.stdout.write(`${token}\n`);
