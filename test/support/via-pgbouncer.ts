// Jest setup file of jest.pgbouncer.config.js: every suite of that run goes through PgBouncer.
import { pgbouncerUrl } from './pooler';

process.env.CHECKPOINTER_TEST_VIA = 'pgbouncer';
pgbouncerUrl(); // fails the suite at once, clearly, when the run provided no PgBouncer
