import { main } from '../src/main.js';

/** The relay (and later other scheduled jobs) only. */
await main('workers', ['maintenance']);
