import { main } from '../src/main.js';

/** Workers of the `webhooks` queue only. */
await main('workers', ['webhooks']);
