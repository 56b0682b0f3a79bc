// Types of support/allure-writer.mjs (plain JavaScript, loaded by Cucumber before any TypeScript loader).
import type { Formatter, IFormatterOptions } from '@cucumber/cucumber';
import type { FileSystemWriter } from 'allure-js-commons/sdk/reporter';

export declare class ResultsWriter extends FileSystemWriter {
  /** From now until releaseGroups, containers are held back, to be written together. */
  holdGroups(): void;
  /** Writes the held containers: those around the same results as one. */
  releaseGroups(): void;
}

export default class AllureReporter extends Formatter {
  constructor(options: IFormatterOptions);
}
