/**
 * Test support for the parsers' tests: the fixtures beside the parsers (`fixtures/<command>.<case>.txt`). Reading them
 * is test-only I/O, so this file is imported by tests alone.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DIR = fileURLToPath(new URL('../../../../lab/parsers/fixtures/', import.meta.url));

/** The text of one fixture, exactly as stored. */
export function fixture(name: string): string {
  return readFileSync(`${DIR}${name}.txt`, 'utf8');
}

/** Every fixture name (without `.txt`) whose command part is `kind`. */
export function fixturesOf(kind: string): string[] {
  return readdirSync(DIR)
    .filter((f) => f.endsWith('.txt') && f.slice(0, f.indexOf('.')) === kind)
    .map((f) => f.slice(0, -4))
    .sort();
}
