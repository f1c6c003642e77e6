import { Module } from '@nestjs/common';
import { DemoDatabase } from './demo-database';

/** Provides the demo's database choice to `CheckpointerModule.forRootAsync`. */
@Module({ providers: [DemoDatabase], exports: [DemoDatabase] })
export class DemoDatabaseModule {}
