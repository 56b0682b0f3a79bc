#!/usr/bin/env node
// The simulated kernel debugger as a command: the program the embedded lab starts in place of
// kd.exe, with kd's command line (driverlab-kd -k net:port=50011,key=… | -k com:pipe,port=… | -z DUMP).
// Builds its bundle when a source is newer (lab/sim/launch.ts), then runs it in this process.
import { pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const { ensureSimBundle } = await import('../lab/sim/launch.ts');
await import(pathToFileURL(ensureSimBundle('kd')).href);
