/**
 * The simulated debugger executable, started in place of kd.exe with kd's own command line
 * (`node dist/sim/kd.mjs -k net:port=50011,key=… -y … -logo …`, see lab/sim/launch.ts).
 */
import { startKd } from './start.js';

await startKd(process.argv.slice(2));
