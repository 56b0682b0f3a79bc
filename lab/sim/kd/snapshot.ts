/**
 * The simulated debugger's startup snapshot entry (lab/sim/launch.ts builds it with
 * `node --build-snapshot`): every module is loaded and its schemas built when the snapshot is made,
 * so a debugger started from it (`node --snapshot-blob kd.blob -- <kd arguments>`) only runs.
 * Nothing here may read the process it will run in (its arguments, environment, parent) before
 * startKd: those are the snapshot builder's.
 */
import { startupSnapshot } from 'node:v8';
import { startKd } from './start.js';

if (!startupSnapshot.isBuildingSnapshot()) {
  throw new Error(
    'lab/sim/kd/snapshot.ts is the entry of a startup snapshot; start the debugger with main.ts',
  );
}
// Started as `node --snapshot-blob <blob> -- <kd arguments>`: Node leaves out the `--`.
startupSnapshot.setDeserializeMainFunction(() => {
  void startKd(process.argv.slice(1));
});
