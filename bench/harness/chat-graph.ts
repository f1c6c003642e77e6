import { Annotation, END, START, StateGraph } from '@langchain/langgraph';
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import { message } from './workload';

const AgentState = Annotation.Root({
  messages: Annotation<{ role: string; content: string }[]>({
    reducer: (a, b) => a.concat(b),
    default: () => [],
  }),
  summary: Annotation<{ turns: number; last: string }>({
    reducer: (_, b) => b,
    default: () => ({ turns: 0, last: '' }),
  }),
});

/**
 * A two-step agent without a model: `agent` answers, `memory` updates a summary. Each turn is a
 * real LangGraph invocation, with the saver calls a graph of two steps makes.
 */
export function chatGraph(saver: BaseCheckpointSaver) {
  return new StateGraph(AgentState)
    .addNode('agent', (state) => ({ messages: [message(state.messages.length + 1)] }))
    .addNode('memory', (state) => ({
      summary: {
        turns: state.summary.turns + 1,
        last: state.messages[state.messages.length - 1].content.slice(0, 80),
      },
    }))
    .addEdge(START, 'agent')
    .addEdge('agent', 'memory')
    .addEdge('memory', END)
    .compile({ checkpointer: saver });
}
