import { main } from '../src/main.js';

/** Workers of the `returns` queue only. */
await main('workers', ['returns']);
