// src/chat.ts
import { Controller, Get, Injectable } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { MessagesAnnotation, START, StateGraph } from '@langchain/langgraph';
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import { CheckpointerHealthIndicator, InjectCheckpointer } from 'nestjs-langgraph-checkpointer';

/** Your agent goes here. This one answers with the number of messages in the conversation. */
function buildMyStateGraph() {
  return new StateGraph(MessagesAnnotation)
    .addNode('agent', ({ messages }) => ({
      messages: [{ role: 'assistant', content: `message ${messages.length + 1}` }],
    }))
    .addEdge(START, 'agent');
}

@Injectable()
export class ChatGraph {
  readonly graph;
  constructor(@InjectCheckpointer() saver: BaseCheckpointSaver) {
    this.graph = buildMyStateGraph().compile({ checkpointer: saver });
  }
}

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly checkpointer: CheckpointerHealthIndicator,
  ) {}

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => this.checkpointer.isHealthy('checkpointer', { timeoutMs: 1000 }),
    ]);
  }
}
