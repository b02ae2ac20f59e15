import { join } from 'node:path';
import { inject } from 'vitest';

let logFiles = 0;

/** A new file in the run's log directory, for one logger or process of this test process: the teardown scans them. */
export const runLogFile = (component: string) => join(inject('logDir'), `${component}-${process.pid}-${++logFiles}.log`);
