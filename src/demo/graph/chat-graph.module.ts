import { Module } from '@nestjs/common';
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import { getCheckpointerToken } from '../../checkpointer';
import { CHAT_GRAPH, createChatGraph } from './chat-graph';

/**
 * Compiles the chat graph once, with the injected saver. Swap in your own agent by overriding
 * the `CHAT_GRAPH` provider.
 */
@Module({
  providers: [
    {
      provide: CHAT_GRAPH,
      useFactory: (saver: BaseCheckpointSaver) => createChatGraph(saver),
      inject: [getCheckpointerToken()],
    },
  ],
  exports: [CHAT_GRAPH],
})
export class ChatGraphModule {}
