// The types of support/bundle.mjs (plain JavaScript, which cucumber.mjs loads before any TypeScript loader).

/** Cucumber's `import` list for the support files `patterns` name: their bundle, or the files through tsx. */
export function supportImports(patterns: readonly string[]): string[];

/** The absolute paths of the files `patterns` name, in the order Cucumber imports them. */
export function supportFiles(patterns: readonly string[]): string[];

/** Builds the bundle of `patterns` when it is missing or stale; its absolute path. */
export function ensureSupportBundle(patterns: readonly string[]): string;

/** The bundle of the module `entry` (relative to the project root) in dist/<name>/, with its exports; built when missing or stale. */
export function ensureModuleBundle(entry: string, name: string): string;

/** Whether `path` (one of Cucumber's import paths) is a support bundle support/bundle.mjs built. */
export function isSupportBundle(path: string): boolean;

/** The module `entry` from its bundle in dist/<name>/, or from its sources through tsx (said in a line naming `what`). */
export function loadModule(entry: string, name: string, what: string): Promise<Record<string, unknown>>;
