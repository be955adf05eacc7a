import { main } from '../src/main.js';

/** Workers of the `refunds` queue only. */
await main('workers', ['refunds']);
