/**
 * Writes the simulator's reference renders to fixtures/<command>.<case>.txt: what the simulated
 * kernel prints for each seed case's commands, plus the bugcheck and break event texts. They are
 * output of this code, never hand-edited; a unit test fails when they are out of date.
 *
 * Usage: node --import tsx lab/sim/kernel/render-fixtures.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCase, SEED_CASES } from './cases.js';
import { breakText, bugcheckEventText } from './target.js';

export const FIXTURE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** "!pool {guard}-1000" → "pool-guard-1000". */
export function commandSlug(command: string): string {
  const slug = command
    .replace(/[{}]/g, '')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .toLowerCase();
  return slug === '' ? 'evaluate' : slug;
}

/** Every reference render, by file name. */
export function renderedFixtures(): Map<string, string> {
  const files = new Map<string, string>();
  for (const seedCase of SEED_CASES) {
    const built = buildCase(seedCase);
    let context = built.context;
    seedCase.commands.forEach((template, i) => {
      const command = built.commands[i] as string;
      const rendered = built.kernel.renderCommand(command, context);
      context = rendered.context;
      const slug = template.startsWith('?')
        ? `evaluate${template.startsWith('? ') ? '' : '-nospace'}`
        : commandSlug(template);
      files.set(`${slug}.${seedCase.name}.txt`, `${rendered.text}\n`);
    });
    const state = built.kernel.state;
    if (state.crash) files.set(`event-bugcheck.${seedCase.name}.txt`, `${bugcheckEventText(state)}\n`);
    if (state.breakIn) files.set(`event-break.${seedCase.name}.txt`, `${breakText(state)}\n`);
  }
  return files;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  mkdirSync(FIXTURE_DIR, { recursive: true });
  const files = renderedFixtures();
  for (const [name, text] of files) writeFileSync(join(FIXTURE_DIR, name), text);
  console.log(`Wrote ${files.size} reference renders to ${FIXTURE_DIR}.`);
}
