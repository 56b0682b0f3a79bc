// Kept for the command lines that name it: the same as `node scripts/tests.mjs` (see there).
await import('./tests.mjs');
