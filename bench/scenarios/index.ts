import type { Scenario } from '../harness/scenario';
import { boot } from './boot';
import { deleteThread } from './delete-thread';
import { saverOperations } from './saver-operations';
import { throughput } from './throughput';

/**
 * Every scenario, in issue-6 order. Bench 3 (listing at scale) joins as one more module here
 * once `ThreadService` exists.
 */
export const SCENARIOS: readonly Scenario[] = [saverOperations, throughput, deleteThread, boot];
