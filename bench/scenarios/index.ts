import type { Scenario } from '../harness/scenario';
import { boot } from './boot';
import { deleteThread } from './delete-thread';
import { listing } from './listing';
import { retention } from './retention';
import { saverOperations } from './saver-operations';
import { throughput } from './throughput';

/** Every scenario, in issue-6 order. */
export const SCENARIOS: readonly Scenario[] = [
  saverOperations,
  throughput,
  listing,
  deleteThread,
  boot,
  retention,
];
