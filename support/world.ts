/**
 * LabWorld: what one scenario knows — the lab of this worker, the VM it leased, and the evidence
 * it collected. Steps are one line into it or into the lab ports.
 */
import { type IWorldOptions, setDefaultTimeout, setWorldConstructor, World } from '@cucumber/cucumber';
import { z } from 'zod';
import { formatZodIssues } from '../lab/config/zod-errors.js';
import { ConfigurationError, HarnessLogicError } from '../lab/errors.js';
import type { HypervLab } from '../lab/hyperv/lab.js';
import type { Vm } from '../lab/ports.js';
import { theLab } from './runtime.js';

export const WorldParameters = z.strictObject({
  /** The lab file, relative to the project root; DRIVERLAB_LAB overrides it. */
  lab: z.string(),
  /** True in the hyperv profile: a lab file must be named. */
  requireLabFile: z.boolean().default(false),
});
export type WorldParameters = z.infer<typeof WorldParameters>;

export function readWorldParameters(raw: unknown): WorldParameters {
  const parsed = WorldParameters.safeParse(raw ?? {});
  if (!parsed.success) {
    throw new ConfigurationError(
      `The Cucumber world parameters are not valid: ${formatZodIssues(parsed.error.issues, raw)}; check --world-parameters and cucumber.mjs.`,
    );
  }
  return parsed.data;
}

export class LabWorld extends World<WorldParameters> {
  readonly settings: WorldParameters;
  private leased: Vm | undefined;

  constructor(options: IWorldOptions<WorldParameters>) {
    super(options);
    this.settings = readWorldParameters(options.parameters);
  }

  get lab(): HypervLab {
    return theLab();
  }

  /** The VM this scenario uses; leased by "Given a test VM". */
  get vm(): Vm {
    if (!this.leased) {
      throw new HarnessLogicError(
        "A step used the test VM before the scenario leased one; start the scenario with 'Given a test VM'.",
      );
    }
    return this.leased;
  }

  /** Leases this worker's VM for the scenario. */
  useVm(vm: Vm): Vm {
    this.leased = vm;
    return vm;
  }

  get hasVm(): boolean {
    return this.leased !== undefined;
  }
}

setWorldConstructor(LabWorld);

// A backstop only: every lab wait is bounded by the lab file's own timeouts, in lab time.
setDefaultTimeout(process.env.DRIVERLAB_LAB ? 60 * 60 * 1000 : 120 * 1000);
