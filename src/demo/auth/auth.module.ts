import { Logger, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtModule } from '@nestjs/jwt';
import type { DemoEnvironment } from '../config/demo.environment';
import { JwtAuthGuard } from './jwt-auth.guard';
import { resolveJwtSecret } from './jwt-secret';
import { DEFAULT_TOKEN_TTL_SECONDS } from './token-lifetime';

/** Bearer-token identity for the demo: HS256 JWTs whose `email` claim names the user. */
@Module({
  imports: [
    JwtModule.registerAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<DemoEnvironment, true>) => {
        const { secret, generatedFile } = resolveJwtSecret({
          JWT_SECRET: config.get('JWT_SECRET', { infer: true }),
          DEMO_DATA_DIR: config.get('DEMO_DATA_DIR', { infer: true }),
        });
        if (generatedFile !== undefined) {
          new Logger('Auth').warn(
            `No JWT_SECRET set: using the development secret in ${generatedFile}. ` +
              'Mint a token with: npm run token -- alice@example.com',
          );
        }
        // The tokens the app signs itself must pass its own guard.
        const expiresIn = Math.min(
          DEFAULT_TOKEN_TTL_SECONDS,
          config.get('JWT_MAX_TTL_SECONDS', { infer: true }),
        );
        return {
          secret,
          signOptions: { algorithm: 'HS256', expiresIn },
          verifyOptions: { algorithms: ['HS256'] },
        };
      },
    }),
  ],
  providers: [JwtAuthGuard],
  exports: [JwtAuthGuard, JwtModule],
})
export class AuthModule {}
