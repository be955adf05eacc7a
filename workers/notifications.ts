import { main } from '../src/main.js';

/** Workers of the `notifications` queue only. */
await main('workers', ['notifications']);
