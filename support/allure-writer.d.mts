// Types of support/allure-writer.mjs (plain JavaScript, loaded by Cucumber before any TypeScript loader).
import type { Formatter, IFormatterOptions } from '@cucumber/cucumber';
import type { FileSystemWriter } from 'allure-js-commons/sdk/reporter';

export declare class ResultsWriter extends FileSystemWriter {}

export default class AllureReporter extends Formatter {
  constructor(options: IFormatterOptions);
}
