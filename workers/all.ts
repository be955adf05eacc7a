import { main } from '../src/main.js';
import { ALL_WORKER_QUEUES } from '../src/workers/workers.js';

/** Every worker, without the API. */
await main('workers', ALL_WORKER_QUEUES);
