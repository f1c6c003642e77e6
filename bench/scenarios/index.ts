import type { Scenario } from '../harness/scenario';
import { boot } from './boot';
import { deleteThread } from './delete-thread';
import { listing } from './listing';
import { retention } from './retention';
import { saverOperations } from './saver-operations';
import { throughput } from './throughput';
import { turns } from './turns';

/** Every scenario, in issue order (issue 6's five, then the later issues'). */
export const SCENARIOS: readonly Scenario[] = [
  saverOperations,
  throughput,
  listing,
  deleteThread,
  boot,
  turns,
  retention,
];
