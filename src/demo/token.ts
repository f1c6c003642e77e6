/**
 * Prints a bearer token for the demo: `npm run token -- alice@example.com [expires-in]`.
 * Signs with JWT_SECRET, or with the development secret the app generated in .data/.
 */
import { JwtService } from '@nestjs/jwt';
import { resolveJwtSecret } from './auth/jwt-secret';
import { validateDemoEnvironment } from './config/demo.environment';

const [email, expiresIn = '12h'] = process.argv.slice(2);
if (email === undefined || !email.includes('@')) {
  process.stderr.write('usage: npm run token -- <email> [expires-in, e.g. 1h]\n');
  process.exit(2);
}
const env = validateDemoEnvironment(process.env);
const { secret } = resolveJwtSecret(env);
const token = new JwtService({ secret }).sign(
  { email },
  { algorithm: 'HS256', expiresIn: expiresIn as '12h' },
);
process.stdout.write(`${token}\n`);
