// The snippet Cucumber prints for an undefined step (a dry run prints it for every one): the
// closest existing steps, then a definition in the house form (lab/catalog/steps.ts). Cucumber
// loads this file itself (cucumber.mjs formatOptions.snippetSyntax), so it reads the step record
// through the global support/catalog.ts sets; before the support code has loaded it says so.
const SNIPPET = Symbol.for('driverlab.undefinedStepSnippet');

export default class DriverlabSnippetSyntax {
  build({ functionName, generatedExpressions }) {
    const snippet = globalThis[SNIPPET];
    const [generated] = generatedExpressions;
    if (typeof snippet !== 'function' || !generated) {
      return `// The step catalog is not loaded, so no closest steps can be named; see docs/steps.md.\n${functionName}('${generated?.source ?? ''}', …);`;
    }
    return snippet(functionName, generated);
  }
}
