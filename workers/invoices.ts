import { main } from '../src/main.js';

/** Workers of the `invoices` queue only. */
await main('workers', ['invoices']);
