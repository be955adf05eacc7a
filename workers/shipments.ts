import { main } from '../src/main.js';

/** Workers of the `shipments` queue only. */
await main('workers', ['shipments']);
