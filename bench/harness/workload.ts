import { randomUUID } from 'node:crypto';
import {
  type BaseCheckpointSaver,
  type Checkpoint,
  type ChannelVersions,
  type PendingWrite,
  emptyCheckpoint,
  uuid6,
} from '@langchain/langgraph-checkpoint';

const FILLER =
  'The quick brown fox jumps over the lazy dog while the agent checks the weather, books a ' +
  'table and summarises the thread for the user, who asked a follow-up about the invoice. ';

/** A chat message of about 300 characters, different for every `i`. */
export function message(i: number): { role: string; content: string } {
  return { role: i % 2 === 0 ? 'user' : 'assistant', content: `#${i} ${FILLER}${FILLER}` };
}

/**
 * Channel values of a typical agent state: `messages` (a 20-message conversation, about 7 kB of
 * JSON) and `channels - 1` small channels (about 200 bytes each).
 */
export function channelValues(channels: number, seed: number): Record<string, unknown> {
  const values: Record<string, unknown> = {
    messages: Array.from({ length: 20 }, (_, i) => message(seed + i)),
  };
  for (let c = 1; c < channels; c += 1) {
    values[`channel_${c}`] = { step: seed, note: FILLER.slice(0, 160), flags: [c, seed % 7] };
  }
  return values;
}

/** Pending writes of one task: `count` writes to distinct ordinary channels. */
export function pendingWrites(count: number, seed: number): PendingWrite[] {
  return Array.from({ length: count }, (_, i) => [
    i === 0 ? 'messages' : `channel_${i}`,
    message(seed + i),
  ]);
}

/**
 * Appends checkpoints to one thread the way a graph step does: every channel changed, versions
 * minted by the saver's own `getNextVersion`, each checkpoint the child of the previous one.
 */
export class CheckpointChain {
  private parentId: string | undefined;
  private versions: ChannelVersions = {};
  private written = 0;

  constructor(
    private readonly saver: BaseCheckpointSaver,
    readonly threadId: string,
    private readonly channels: number,
  ) {}

  /** Id of the latest checkpoint written. */
  get latestId(): string | undefined {
    return this.parentId;
  }

  /** Writes the next checkpoint (one `put`). */
  async put(): Promise<string> {
    this.written += 1;
    const values = channelValues(this.channels, this.written);
    const newVersions: ChannelVersions = {};
    for (const channel of Object.keys(values)) {
      newVersions[channel] = this.saver.getNextVersion(this.versions[channel] as number);
    }
    this.versions = { ...this.versions, ...newVersions };
    const checkpoint: Checkpoint = {
      ...emptyCheckpoint(),
      id: uuid6(-1),
      channel_values: values,
      channel_versions: { ...this.versions },
    };
    const config = {
      configurable: { thread_id: this.threadId, checkpoint_ns: '', checkpoint_id: this.parentId },
    };
    await this.saver.put(
      config,
      checkpoint,
      { source: 'loop', step: this.written, parents: {} },
      newVersions,
    );
    this.parentId = checkpoint.id;
    return checkpoint.id;
  }

  /** Stores `count` pending writes of a new task against the latest checkpoint. */
  async putWrites(count: number): Promise<void> {
    const config = {
      configurable: { thread_id: this.threadId, checkpoint_ns: '', checkpoint_id: this.parentId },
    };
    await this.saver.putWrites(config, pendingWrites(count, this.written), randomUUID());
  }
}
