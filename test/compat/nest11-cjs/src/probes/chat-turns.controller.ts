import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { ChatGraph } from '../chat.js';

/** One conversation turn through the README's graph, and its checkpointed state. */
@Controller('chat')
export class ChatTurnsController {
  constructor(private readonly chat: ChatGraph) {}

  @Post(':threadId')
  async turn(@Param('threadId') threadId: string, @Body('text') text: string) {
    const state = await this.chat.graph.invoke(
      { messages: [{ role: 'user', content: text }] },
      { configurable: { thread_id: threadId } },
    );
    return { reply: state.messages.at(-1)?.content };
  }

  @Get(':threadId')
  async state(@Param('threadId') threadId: string) {
    const snapshot = await this.chat.graph.getState({ configurable: { thread_id: threadId } });
    const { messages = [] } = snapshot.values as { messages?: { content: unknown }[] };
    return { messages: messages.map((message) => message.content) };
  }
}
