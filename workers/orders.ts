import { main } from '../src/main.js';

/** Workers of the `orders` queue only (order.place and the other order actions). */
await main('workers', ['orders']);
