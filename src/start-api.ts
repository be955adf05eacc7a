import { main } from './main.js';

/** The API alone; run workers elsewhere with `npm run start:workers`. */
await main('api');
