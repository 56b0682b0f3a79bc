// One process for many test files (the unit and fuzz tiers): imports each file named in
// DRIVERLAB_TEST_FILES (a JSON array of paths), so their tests register with node's test runner,
// which runs them and sets the exit code. One process loads TypeScript and the lab's modules once:
// the unit tier costs about a quarter of the CPU it costs with a process per file.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const files = JSON.parse(process.env.DRIVERLAB_TEST_FILES ?? '[]');
for (const file of files) await import(pathToFileURL(resolve(file)).href);
