import { main } from './main.js';

/** `npm start`: the API and every worker in one process. */
await main('all');
