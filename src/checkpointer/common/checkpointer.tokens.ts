/**
 * Injection tokens. Every token goes through a `getXToken(name?)` helper so that a named second
 * instance (`CheckpointerModule.forRoot({ name: 'archive', ... })`) can be added later without
 * changing how the default instance is injected.
 */

/** Name of the default (and, for now, only) module instance. */
export const DEFAULT_CHECKPOINTER_NAME = 'default';

function scoped(base: string, name: string | undefined): string {
  return name === undefined || name === DEFAULT_CHECKPOINTER_NAME ? base : `${name}${base}`;
}

/** Token of the LangGraph saver (a `BaseCheckpointSaver`). @publicApi */
export function getCheckpointerToken(name?: string): string {
  return scoped('CheckpointerSaver', name);
}

/** Token of the Kysely instance over the managed pool, scoped to the configured schema. @publicApi */
export function getCheckpointerDbToken(name?: string): string {
  return scoped('CheckpointerKysely', name);
}

/** Token of the validated options with every default applied. @publicApi */
export function getCheckpointerOptionsToken(name?: string): string {
  return scoped('CheckpointerResolvedOptions', name);
}
