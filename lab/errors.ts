/**
 * Errors say whose fault it is.
 *
 * | cause                                   | class                 | Allure status |
 * |-----------------------------------------|-----------------------|---------------|
 * | the driver / product misbehaved         | AssertionError        | failed        |
 * | the lab could not do its job            | LabCompromisedError   | broken        |
 * | bad input (lab file, parameter, policy) | ConfigurationError    | broken        |
 * | the harness was used out of order       | HarnessLogicError     | broken        |
 *
 * allure-js decides `failed` vs `broken` by testing /assert/i against the error's class name and
 * the formatted message Cucumber records (message plus stack trace). So the word must never reach
 * the message of a non-product error: those constructors neutralise it, and no source file outside
 * the assertion code may carry it in its path (the layout check enforces that).
 */

export type FaultOwner = 'product' | 'lab' | 'configuration' | 'harness';

export interface DriverlabErrorOptions {
  /** The error (or value) that led to this one; kept for the report and for `driverlab` output. */
  cause?: unknown;
}

/** Common base: every driverlab error knows whose fault it is and keeps its cause. */
export abstract class DriverlabError extends Error {
  abstract readonly owner: FaultOwner;

  constructor(message: string, options: DriverlabErrorOptions = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.name = new.target.name;
  }
}

/**
 * Breaks the word "assert" with a zero-width space so that allure-js cannot mistake a lab,
 * configuration or harness error for a product failure when it quotes outside text
 * (for example a guest tool that printed "Assertion failed").
 */
export function neutraliseAssertWord(text: string): string {
  return text.replace(/(a)(ssert)/gi, '$1\u200b$2');
}

/** A description ("the kernel debugger of VM 'win11-a'") as the start of an error's sentence. */
export function sentenceStart(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The driver or product did not do what the scenario expects. Reported as `failed`. */
export class AssertionError extends DriverlabError {
  readonly owner = 'product' as const;
}

/** The lab could not do its job: VM not ready, debugger never connected, PS Direct refused, timeout. */
export class LabCompromisedError extends DriverlabError {
  readonly owner = 'lab' as const;

  constructor(message: string, options: DriverlabErrorOptions = {}) {
    super(neutraliseAssertWord(message), options);
  }
}

/** Bad input: a lab file, a feature parameter or a gate policy. Raised before any VM is touched. */
export class ConfigurationError extends DriverlabError {
  readonly owner = 'configuration' as const;

  constructor(message: string, options: DriverlabErrorOptions = {}) {
    super(neutraliseAssertWord(message), options);
  }
}

/** The harness was used out of order (a step that needs a debugger session before one exists, …). */
export class HarnessLogicError extends DriverlabError {
  readonly owner = 'harness' as const;

  constructor(message: string, options: DriverlabErrorOptions = {}) {
    super(neutraliseAssertWord(message), options);
  }
}

export interface Expectation {
  /** What was expected, phrased to follow "Expected": "VM 'win11-a' to bugcheck with 0xD6". */
  expected: string;
  /** Why the scenario expects it: "special pool guards the overrun". */
  because: string;
  /** What happened instead, phrased to follow "but": "it kept running for 120 s". */
  actual: string;
}

/**
 * The house style for a failed expectation (expected, because, but got), as one sentence:
 * "Expected VM 'win11-a' to bugcheck with 0xD6, because special pool guards the overrun, but it kept running for 120 s."
 */
export function expectationFailed(
  expectation: Expectation,
  options: DriverlabErrorOptions = {},
): AssertionError {
  const actual = expectation.actual.replace(/[.\s]+$/, '');
  return new AssertionError(
    `Expected ${expectation.expected}, because ${expectation.because}, but ${actual}.`,
    options,
  );
}

/** The owner of any thrown value; anything that is not a driverlab error is the harness's fault. */
export function faultOwnerOf(error: unknown): FaultOwner {
  return error instanceof DriverlabError ? error.owner : 'harness';
}

/** The message of any thrown value, followed by the messages of its causes ("… (caused by: …)"). */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth += 1) {
    parts.push(current instanceof Error ? current.message : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(' (caused by: ') + ')'.repeat(Math.max(0, parts.length - 1));
}
