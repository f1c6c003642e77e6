import type { RunnableConfig } from '@langchain/core/runnables';
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import {
  Annotation,
  Command,
  DeltaChannel,
  END,
  START,
  Send,
  StateGraph,
  type StateSnapshot,
  interrupt,
} from '@langchain/langgraph';
import type { TestDatabase } from './database';

const concat = (a: string[], b: string[]) => a.concat(b);

const AgentState = Annotation.Root({
  messages: Annotation<string[]>({ reducer: concat, default: () => [] }),
  findings: Annotation<string[]>({ reducer: concat, default: () => [] }),
});

const ResearchState = Annotation.Root({
  messages: Annotation<string[]>({ reducer: concat, default: () => [] }),
  notes: Annotation<string[]>({ reducer: concat, default: () => [] }),
});

/**
 * A turn of an agent that uses everything a prune must keep intact: `plan` fans out with `Send`
 * to two `worker` tasks, `research` is a subgraph (its own checkpoint namespace) that stops on an
 * `interrupt()` for a human, and `answer` replies with what the conversation holds. A turn is
 * `invoke(prompt)` (ends on the interrupt) then `invoke(new Command({ resume }))`.
 */
export function agentGraph(saver: BaseCheckpointSaver) {
  const research = new StateGraph(ResearchState)
    .addNode('look', (s) => ({ notes: [`looked at ${s.messages.length} message(s)`] }))
    .addNode('confirm', (s) => {
      const answer = interrupt<string, string>(`confirm ${s.notes.length} note(s)?`);
      return { notes: [`confirmed: ${answer}`] };
    })
    .addEdge(START, 'look')
    .addEdge('look', 'confirm')
    .addEdge('confirm', END)
    .compile();
  return new StateGraph(AgentState)
    .addNode('plan', () => ({}))
    .addNode('worker', (task: { topic: string }) => ({ findings: [`found ${task.topic}`] }))
    .addNode('research', async (s, config) => {
      const out = await research.invoke({ messages: s.messages }, config);
      return { findings: [out.notes.at(-1) ?? ''] };
    })
    .addNode('answer', (s) => ({
      messages: [`answer with ${s.findings.length} finding(s) to ${s.messages.length} message(s)`],
    }))
    .addEdge(START, 'plan')
    .addConditionalEdges('plan', (s) => [
      new Send('worker', { topic: `a${s.messages.length}` }),
      new Send('worker', { topic: `b${s.messages.length}` }),
    ])
    .addEdge('worker', 'research')
    .addEdge('research', 'answer')
    .addEdge('answer', END)
    .compile({ checkpointer: saver });
}

export type AgentGraph = ReturnType<typeof agentGraph>;

/** One whole turn of `agentGraph`: the prompt, then the human's answer to the interrupt. */
export async function agentTurn(
  graph: AgentGraph,
  config: RunnableConfig,
  prompt: string,
): Promise<void> {
  await graph.invoke({ messages: [prompt] }, config);
  await graph.invoke(new Command({ resume: `yes to ${prompt}` }), config);
}

/**
 * What a state snapshot says, without the ids and times that differ between savers: values, next
 * nodes, and each task's interrupts and subgraph state (`getState(config, { subgraphs: true })`).
 */
export function comparable(snapshot: StateSnapshot): unknown {
  return {
    values: snapshot.values,
    next: snapshot.next,
    step: snapshot.metadata?.step,
    tasks: snapshot.tasks.map((task) => ({
      name: task.name,
      interrupts: task.interrupts.map((i): unknown => i.value),
      state:
        task.state !== undefined && 'values' in task.state ? comparable(task.state) : undefined,
    })),
  };
}

const DeltaState = Annotation.Root({
  messages: new DeltaChannel<string[], string[]>((state, writes) => state.concat(...writes), {
    snapshotFrequency: 25,
  }),
});

/**
 * A chat whose messages are a `DeltaChannel`: checkpoints store only the new messages (as the
 * step's writes) and a full snapshot every 25 updates; a read replays the writes of the ancestors
 * back to the last snapshot (`getDeltaChannelHistory`). The graph a naive keep-latest breaks.
 */
export function deltaChatGraph(saver: BaseCheckpointSaver) {
  return new StateGraph(DeltaState)
    .addNode('reply', (s) => ({ messages: [`reply ${s.messages.length + 1}`] }))
    .addEdge(START, 'reply')
    .addEdge('reply', END)
    .compile({ checkpointer: saver });
}

/** Rows of one thread's checkpoint tables, as `(ns, id)`, `(ns, channel, version)` and writes. */
export interface ThreadRows {
  readonly checkpoints: string[];
  readonly blobs: string[];
  readonly writes: string[];
  /** `(ns, channel, version)` every checkpoint references through its channel_versions. */
  readonly referenced: string[];
}

export async function threadRows(
  database: TestDatabase,
  schema: string,
  threadId: string,
): Promise<ThreadRows> {
  const { rows } = await database.query<ThreadRows>(
    `SELECT
       (SELECT coalesce(array_agg(checkpoint_ns || '/' || checkpoint_id ORDER BY 1), '{}')
          FROM ${schema}.checkpoints WHERE thread_id = $1) AS checkpoints,
       (SELECT coalesce(array_agg(checkpoint_ns || '/' || channel || '/' || version ORDER BY 1), '{}')
          FROM ${schema}.checkpoint_blobs WHERE thread_id = $1) AS blobs,
       (SELECT coalesce(array_agg(checkpoint_ns || '/' || checkpoint_id || '/' || task_id || '/' || idx ORDER BY 1), '{}')
          FROM ${schema}.checkpoint_writes WHERE thread_id = $1) AS writes,
       (SELECT coalesce(array_agg(DISTINCT c.checkpoint_ns || '/' || v.key || '/' || v.value), '{}')
          FROM ${schema}.checkpoints c, jsonb_each_text(c.checkpoint -> 'channel_versions') v
         WHERE c.thread_id = $1) AS referenced`,
    [threadId],
  );
  // Sorted here, by code unit: the database's collation may ignore punctuation.
  const sorted = (list: string[]) => [...list].sort();
  const [row] = rows;
  return {
    checkpoints: sorted(row.checkpoints),
    blobs: sorted(row.blobs),
    writes: sorted(row.writes),
    referenced: sorted(row.referenced),
  };
}

/**
 * References of checkpoints (any thread) to a blob that does not exist: a checkpoint that would
 * read back with a value missing. Our saver writes a blob for every version it introduces, so in
 * a database only it wrote, there must be none.
 */
export async function danglingReferences(
  database: TestDatabase,
  schema: string,
): Promise<string[]> {
  const { rows } = await database.query<{ ref: string }>(
    `SELECT c.thread_id || '/' || c.checkpoint_ns || '/' || c.checkpoint_id || '/' || v.key AS ref
       FROM ${schema}.checkpoints c, jsonb_each_text(c.checkpoint -> 'channel_versions') v
      WHERE NOT EXISTS (
        SELECT FROM ${schema}.checkpoint_blobs b
         WHERE b.thread_id = c.thread_id AND b.checkpoint_ns = c.checkpoint_ns
           AND b.channel = v.key AND b.version = v.value)`,
  );
  return rows.map((r) => r.ref);
}

/**
 * Pending writes of checkpoints that do not exist (a prune leaves none), leaving out threads whose
 * id starts with `except` (a reset thread may keep a write of a graph that ran through the reset:
 * writes may precede their checkpoint, so they cannot be refused for its absence).
 */
export async function orphanWrites(
  database: TestDatabase,
  schema: string,
  except?: string,
): Promise<number> {
  const { rows } = await database.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${schema}.checkpoint_writes w
      WHERE ($1::text IS NULL OR NOT starts_with(w.thread_id, $1::text)) AND NOT EXISTS (
        SELECT FROM ${schema}.checkpoints c WHERE c.thread_id = w.thread_id
          AND c.checkpoint_ns = w.checkpoint_ns AND c.checkpoint_id = w.checkpoint_id)`,
    [except ?? null],
  );
  return rows[0].n;
}
