// Loaded first when a run imports its support code as one bundle (support/bundle.mjs): from here
// on stack traces name the TypeScript files and lines the bundle was built from, and
// support/catalog.ts can tell Cucumber which steps file defined each step.
process.setSourceMapsEnabled(true);
