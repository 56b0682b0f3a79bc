/**
 * Driver Verifier options as a feature names them: a number (hex or decimal, as `verifier /flags`
 * takes it) or option names ("special pool", "I/O verification and IRP logging"). The names are the
 * documented option names (domain brief §4.2) and the labels `verifier /querysettings` prints
 * (§4.3), so a scenario can be checked against what the guest reports.
 */
import { ConfigurationError } from '../errors.js';
import { closest } from '../util/similar.js';

export interface VerifierOption {
  bit: number;
  /** The documented name, as the step catalog lists it. */
  name: string;
  /** Other spellings: the /querysettings label and short forms. */
  aliases: readonly string[];
}

/** Every /flags bit with a documented name (0x1000 is reserved, domain brief §4.2). */
export const VERIFIER_OPTIONS: readonly VerifierOption[] = [
  { bit: 0x1, name: 'special pool', aliases: [] },
  { bit: 0x2, name: 'force IRQL checking', aliases: [] },
  { bit: 0x4, name: 'low resources simulation', aliases: ['randomized low resources simulation'] },
  { bit: 0x8, name: 'pool tracking', aliases: [] },
  { bit: 0x10, name: 'I/O verification', aliases: [] },
  { bit: 0x20, name: 'deadlock detection', aliases: [] },
  { bit: 0x40, name: 'enhanced I/O verification', aliases: [] },
  { bit: 0x80, name: 'DMA verification', aliases: ['DMA checking'] },
  { bit: 0x100, name: 'security checks', aliases: [] },
  { bit: 0x200, name: 'force pending I/O requests', aliases: [] },
  { bit: 0x400, name: 'IRP logging', aliases: [] },
  { bit: 0x800, name: 'miscellaneous checks', aliases: [] },
  { bit: 0x2000, name: 'invariant MDL checking for stack', aliases: [] },
  { bit: 0x4000, name: 'invariant MDL checking for driver', aliases: [] },
  { bit: 0x8000, name: 'power framework delay fuzzing', aliases: [] },
  { bit: 0x10000, name: 'port/miniport interface checking', aliases: [] },
  { bit: 0x20000, name: 'DDI compliance checking', aliases: [] },
  { bit: 0x40000, name: 'systematic low resources simulation', aliases: [] },
  { bit: 0x80000, name: 'DDI compliance checking (additional)', aliases: [] },
  { bit: 0x200000, name: 'NDIS/WIFI verification', aliases: [] },
  { bit: 0x800000, name: 'kernel synchronization delay fuzzing', aliases: [] },
  { bit: 0x1000000, name: 'VM switch verification', aliases: [] },
  { bit: 0x2000000, name: 'code integrity checks', aliases: [] },
];

const KNOWN_BITS = VERIFIER_OPTIONS.reduce((all, o) => all | o.bit, 0);

/** Driver Verifier options: the /flags number and the names of its bits. */
export interface VerifierFlags {
  flags: number;
  names: string[];
  /** How the feature wrote them, for step titles and messages. */
  text: string;
}

function normalise(name: string): string {
  return name.trim().toLowerCase().replace(/\s+/g, ' ');
}

const BY_NAME = new Map<string, VerifierOption>(
  VERIFIER_OPTIONS.flatMap((o) => [o.name, ...o.aliases].map((n) => [normalise(n), o] as const)),
);

/** The option a /querysettings label or a feature's name stands for, or undefined. */
export function verifierOption(name: string): VerifierOption | undefined {
  return BY_NAME.get(normalise(name));
}

/** "0x410" → ['I/O verification', 'IRP logging']. */
export function verifierFlagNames(flags: number): string[] {
  return VERIFIER_OPTIONS.filter((o) => (flags & o.bit) !== 0).map((o) => o.name);
}

/** "0x410" → "0x410 (I/O verification, IRP logging)". */
export function describeVerifierFlags(flags: number): string {
  const names = verifierFlagNames(flags);
  return `0x${flags.toString(16)}${names.length > 0 ? ` (${names.join(', ')})` : ''}`;
}

/**
 * Reads "0x410", "1040", or "special pool", "I/O verification and IRP logging",
 * "special pool, pool tracking and IRP logging". A number with a bit that has no documented option,
 * or a name that is not an option, is a configuration error listing what is allowed.
 */
export function parseVerifierFlags(text: string): VerifierFlags {
  const written = text.trim();
  let flags: number;
  if (/^0x[0-9a-f]+$/i.test(written) || /^\d+$/.test(written)) {
    flags = Number(written);
    if (!Number.isSafeInteger(flags) || flags <= 0 || (flags & ~KNOWN_BITS) !== 0 || flags > 0x7fffffff) {
      throw new ConfigurationError(
        `The Driver Verifier flags '${written}' are not valid, because ${flags <= 0 ? 'they select no option' : `they set bits no documented option has (known bits: 0x${KNOWN_BITS.toString(16)})`}; write the /flags value in hex (0x410) or decimal (1040), or name the options ("I/O verification and IRP logging").`,
      );
    }
  } else {
    const parts = written
      .split(/\s*,\s*|\s+and\s+/i)
      .map((p) => p.trim())
      .filter((p) => p !== '');
    if (parts.length === 0) {
      throw new ConfigurationError(
        `The Driver Verifier options are empty; name at least one, for example "special pool" or 0x1.`,
      );
    }
    flags = 0;
    for (const part of parts) {
      const option = verifierOption(part);
      if (!option) {
        const names = VERIFIER_OPTIONS.map((o) => o.name);
        const like = closest(part, [...BY_NAME.keys()]);
        const hint =
          like.length > 0 ? ` (did you mean '${like.map((l) => BY_NAME.get(l)?.name).join("' or '")}'?)` : '';
        throw new ConfigurationError(
          `'${part}' is not a Driver Verifier option${hint}; the options are ${names.join(', ')}, or give the /flags value as a number (0x410).`,
        );
      }
      flags |= option.bit;
    }
  }
  return { flags, names: verifierFlagNames(flags), text: written };
}
