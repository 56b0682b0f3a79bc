// Loads TypeScript step and support files through tsx (see docs/adr/0001-tsx-and-typescript-7.md).
// Listed first in cucumber.mjs `import`, so every worker registers it before loading steps.
import { register } from 'tsx/esm/api';

register();
