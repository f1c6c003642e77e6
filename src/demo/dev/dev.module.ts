import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { DevTokenController } from './dev-token.controller';

/** What the demo offers in development only (imported through `ConditionalModule`). */
@Module({ imports: [AuthModule], controllers: [DevTokenController] })
export class DevModule {}
