/** The replay executable's entry point: `node replay.mjs <recording> [kd's own arguments, ignored]`. */
import { main } from './player.js';

main(process.argv.slice(2));
