import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

interface UpstreamMigrationsModule {
  getMigrations(schema: string): readonly string[];
}

/**
 * The latest `checkpoint_migrations` version the installed `@langchain/langgraph-checkpoint-postgres`
 * knows, or `undefined` if it cannot be determined. Upstream does not export its migration list,
 * so it is read from the package's own `migrations.cjs` beside its entry point; if a future
 * release moves that file, we fall back to always running `setup()` (under the lock), which is
 * correct, just not DDL-free.
 */
export function latestUpstreamCheckpointVersion(schema: string): number | undefined {
  try {
    const requireHere = createRequire(__filename);
    const entry = requireHere.resolve('@langchain/langgraph-checkpoint-postgres');
    const migrations = requireHere(
      join(dirname(entry), 'migrations.cjs'),
    ) as UpstreamMigrationsModule;
    const count = migrations.getMigrations(schema).length;
    return count > 0 ? count - 1 : undefined;
  } catch {
    return undefined;
  }
}
