/**
 * Where every step and parameter type is defined, and recorded for the step catalog.
 *
 * A step file starts with `const { Given, When, Then } = domain('verifier', '…')` and defines each
 * step with a description and an example next to it. The definition goes to Cucumber and, with its
 * documentation, into this module's record, which has two readers:
 * - `driverlab steps` (lab/cli/commands/steps.ts), which loads the support code through Cucumber's
 *   API in a child process (support/catalog-export.ts) and prints the record: lab/ may not import
 *   Cucumber, and loading the real definitions means the catalog cannot drift from them (a test
 *   also checks that Cucumber knows no step the record lacks);
 * - the preflight check (support/preflight.ts), which matches every step of a scenario against the
 *   recorded expressions before the scenario touches a VM.
 */

import { findSourceMap } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Given as cucumberGiven,
  Then as cucumberThen,
  When as cucumberWhen,
  defineParameterType,
} from '@cucumber/cucumber';
import {
  CucumberExpression,
  CucumberExpressionGenerator,
  type Expression,
  ParameterType,
  ParameterTypeRegistry,
} from '@cucumber/cucumber-expressions';
import * as z from 'zod';
import {
  type GeneratedStep,
  HarnessLogicError,
  type ParameterTypeEntry,
  type StepCatalog,
  type StepDomain,
  type StepEntry,
  undefinedStepSnippet,
} from '../lab/index.js';
import type { LabWorld } from './world.js';

export interface StepDoc {
  /** What the step does, in one line. */
  description: string;
  /** The step as a feature writes it, keyword first. */
  example: string;
  /** A longer Cucumber timeout (wall ms) than the default, for steps that may wait long on a real lab. */
  timeoutMs?: number;
}

type Keyword = StepEntry['keyword'];
type Define = <A extends unknown[]>(
  expression: string,
  doc: StepDoc,
  code: (this: LabWorld, ...args: A) => unknown,
) => void;

interface RecordedStep extends StepEntry {
  domain: string;
}

const domains = new Map<string, StepDomain>();
const steps: RecordedStep[] = [];
const parameterDocs: ParameterTypeEntry[] = [];
/** The same parameter types Cucumber has, for matching and snippets outside Cucumber's runner. */
export const parameterTypes = new ParameterTypeRegistry();

/** The TypeScript type of each parameter type's value, for snippets (Cucumber's built-ins first). */
const TS_TYPES: Record<string, string> = { int: 'number', float: 'number', string: 'string', word: 'string' };

const DEFINE: Record<Keyword, typeof cucumberGiven> = {
  Given: cucumberGiven,
  When: cucumberWhen,
  Then: cucumberThen,
};

/** The step definers of one domain concept (one steps file). */
export function domain(name: string, summary: string): Record<Keyword, Define> {
  if (domains.has(name)) {
    throw new HarnessLogicError(
      `The step domain '${name}' is declared twice; give each steps file its own domain.`,
    );
  }
  const entry: StepDomain = { name, summary, steps: [] };
  domains.set(name, entry);
  const define =
    (keyword: Keyword): Define =>
    <A extends unknown[]>(
      expression: string,
      doc: StepDoc,
      code: (this: LabWorld, ...args: A) => unknown,
    ) => {
      const recorded: StepEntry = {
        keyword,
        expression,
        description: doc.description,
        example: doc.example,
      };
      entry.steps.push(recorded);
      steps.push({ ...recorded, domain: name });
      const guarded = function (this: LabWorld, ...args: A) {
        // A step still running when the scenario's budget runs out ends with the watchdog's sentence.
        return this.watchdog.guard(code.apply(this, args));
      };
      // Cucumber tells a callback step from a promise step by the function's length.
      Object.defineProperty(guarded, 'length', { value: code.length });
      definedAtCaller(() =>
        DEFINE[keyword]<LabWorld>(expression, doc.timeoutMs ? { timeout: doc.timeoutMs } : {}, guarded),
      );
    };
  return { Given: define('Given'), When: define('When'), Then: define('Then') };
}

/**
 * Runs a Cucumber definer so that the definition's location (which Cucumber takes from the first
 * stack frame outside its own code) is the steps file that called `domain(…)`'s definer, not this
 * file: while it runs, stack traces leave out this file's frames. When the support code runs as one
 * bundle (support/bundle.mjs), each frame is first traced back through the bundle's source map to
 * the TypeScript file and line it came from.
 */
function definedAtCaller(define: () => void): void {
  const previous = Error.prepareStackTrace;
  Error.prepareStackTrace = (error, frames) => {
    const kept = frames.map(sourceFrame).filter((f) => f.file !== THIS_SOURCE);
    return `${String(error)}${kept.map((f) => `\n    at ${f.text}`).join('')}`;
  };
  try {
    define();
  } finally {
    Error.prepareStackTrace = previous;
  }
}

/** What a source map says of a generated position (an empty object where it says nothing). */
const SourceMapping = z.object({
  originalSource: z.string().min(1),
  originalLine: z.number().int().nonnegative(),
  originalColumn: z.number().int().nonnegative(),
});

interface SourceFrame {
  /** The path (or node: specifier) of the file the frame's code was written in. */
  file: string;
  /** The frame as a stack trace prints it, at that file's line and column. */
  text: string;
}

/** A stack frame at the place in the source it was built from (through a bundle's source map), or as it is. */
function sourceFrame(frame: NodeJS.CallSite): SourceFrame {
  const name = frame.getFileName() ?? '';
  const line = frame.getLineNumber();
  const column = frame.getColumnNumber();
  const generated = name.startsWith('file:') ? fileURLToPath(name) : name;
  const entry =
    line !== null && column !== null && generated !== ''
      ? SourceMapping.safeParse(findSourceMap(generated)?.findEntry(line - 1, column - 1)).data
      : undefined;
  if (entry) {
    const source = entry.originalSource.startsWith('file:')
      ? fileURLToPath(entry.originalSource)
      : resolve(dirname(generated), entry.originalSource);
    const at = `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
    const fn = frame.getFunctionName();
    return { file: source, text: fn ? `${fn} (${at})` : at };
  }
  return { file: generated, text: String(frame) };
}

/** This file, where its own code was written: the first frame of a stack taken here. */
const THIS_SOURCE = (() => {
  const previous = Error.prepareStackTrace;
  Error.prepareStackTrace = (_error, frames) => frames;
  try {
    const frames = new Error().stack as unknown as NodeJS.CallSite[];
    return frames[0] ? sourceFrame(frames[0]).file : fileURLToPath(import.meta.url);
  } finally {
    Error.prepareStackTrace = previous;
  }
})();

export interface ParameterDefinition<T> {
  name: string;
  /** The regular expression the parameter matches in a step (without anchors or capture groups). */
  regexp: string;
  description: string;
  examples: string[];
  /** Turns the matched text into the value; runs with the scenario's World as `this`. */
  transformer: (this: LabWorld, text: string) => T;
  /** False for parameters too broad to propose in the snippet of an undefined step. */
  useForSnippets?: boolean;
  /** The TypeScript type of the value, for snippets. */
  tsType: string;
}

/** Defines a parameter type for Cucumber and records it for the catalog and the preflight check. */
export function parameter<T>(definition: ParameterDefinition<T>): void {
  const useForSnippets = definition.useForSnippets ?? true;
  defineParameterType({
    name: definition.name,
    regexp: new RegExp(definition.regexp),
    transformer: definition.transformer,
    useForSnippets,
  });
  parameterTypes.defineParameterType(
    new ParameterType(
      definition.name,
      new RegExp(definition.regexp),
      null,
      function (this: unknown, ...match: (string | null)[]) {
        return definition.transformer.call(this as LabWorld, match[0] ?? '');
      },
      useForSnippets,
      false,
    ),
  );
  TS_TYPES[definition.name] = definition.tsType;
  parameterDocs.push({
    name: definition.name,
    description: definition.description,
    examples: definition.examples,
  });
}

const compiled = new Map<string, Expression>();

/**
 * Every recorded step with its expression compiled against the recorded parameter types (for the
 * preflight check); compiled on first use, once every support file has defined its types.
 */
export function recordedSteps(): readonly (RecordedStep & { compiled: Expression })[] {
  return steps.map((s) => {
    let expression = compiled.get(s.expression);
    if (!expression) {
      expression = new CucumberExpression(s.expression, parameterTypes);
      compiled.set(s.expression, expression);
    }
    return { ...s, compiled: expression };
  });
}

/** What `driverlab steps` prints: the domains and the parameter types by name. */
export function stepCatalog(): StepCatalog {
  return {
    domains: [...domains.values()].sort((a, b) => a.name.localeCompare(b.name)),
    parameterTypes: [...parameterDocs].sort((a, b) => a.name.localeCompare(b.name)),
  };
}

/** Cucumber's own snippet generator over these parameter types: the expression an undefined step would get. */
export function generatedExpression(text: string): GeneratedStep {
  const [first] = new CucumberExpressionGenerator(() => parameterTypes.parameterTypes).generateExpressions(
    text,
  );
  if (!first) return { expression: text, parameters: [] };
  return fromGenerated(first);
}

/** A generated expression with the TypeScript types of its parameters. */
function fromGenerated(generated: {
  source: string;
  parameterInfos: readonly { name: string; count: number }[];
}): GeneratedStep {
  return {
    expression: generated.source,
    parameters: generated.parameterInfos.map((p) => ({
      name: p.name + (p.count > 1 ? String(p.count) : ''),
      type: TS_TYPES[p.name] ?? 'unknown',
    })),
  };
}

/**
 * Cucumber loads a snippet syntax (support/snippet-syntax.mjs) by itself, apart from the support
 * code; it reaches the step record through this well-known global, set once the support code loads.
 */
(globalThis as Record<symbol, unknown>)[Symbol.for('driverlab.undefinedStepSnippet')] = (
  keyword: string,
  generated: { source: string; parameterInfos: readonly { name: string; count: number }[] },
): string => undefinedStepSnippet(keyword, fromGenerated(generated), stepCatalog());
