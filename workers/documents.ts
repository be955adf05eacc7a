import { main } from '../src/main.js';

/** Workers of the `documents` queue only. */
await main('workers', ['documents']);
