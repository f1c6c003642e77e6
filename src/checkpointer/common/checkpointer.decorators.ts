import { Inject } from '@nestjs/common';
import { getCheckpointerDbToken, getCheckpointerToken } from './checkpointer.tokens';

/**
 * Injects the LangGraph saver (`BaseCheckpointSaver`) to pass to `graph.compile({ checkpointer })`.
 * @example constructor(@InjectCheckpointer() private readonly saver: BaseCheckpointSaver) {}
 */
export const InjectCheckpointer = (): ParameterDecorator => Inject(getCheckpointerToken());

/**
 * Injects the `Kysely<CheckpointerDatabase>` over the same managed pool, scoped to the schema.
 * @example constructor(@InjectCheckpointerDb() private readonly db: Kysely<CheckpointerDatabase>) {}
 */
export const InjectCheckpointerDb = (): ParameterDecorator => Inject(getCheckpointerDbToken());
