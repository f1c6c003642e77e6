/**
 * Injection tokens of what the module provides that is not a class. One module instance per
 * application: the helpers take no name. (Named instances would need a token per provider class
 * as well, ThreadService and PoolManager included; until someone needs two checkpointer
 * databases in one application, a parameter that only some tokens honoured would promise what
 * the module cannot do.)
 */

/** Token of the LangGraph saver (a `BaseCheckpointSaver`). @publicApi */
export function getCheckpointerToken(): string {
  return 'CheckpointerSaver';
}

/** Token of the Kysely instance over the managed pool, scoped to the configured schema. @publicApi */
export function getCheckpointerDbToken(): string {
  return 'CheckpointerKysely';
}

/** Token of the validated options with every default applied. @publicApi */
export function getCheckpointerOptionsToken(): string {
  return 'CheckpointerResolvedOptions';
}
