/**
 * The bug checks the simulated kernel raises, with the text `!analyze` prints for each: the title
 * `NAME (code)`, the description, and what each argument means. The texts are those of real
 * `!analyze -v` captures (0x0A, 0x19, 0x3B, 0xD6 from the seed and public captures, see
 * fixtures/SOURCES.md) and the per-code reference pages (domain brief §5.1).
 */
import { hex16 } from './hex.js';

export interface BugcheckText {
  name: string;
  description: string[];
  /** The meaning printed after each argument ("Arg1: …, <meaning>"); '' prints the value alone. */
  meanings: (args: bigint[]) => [string, string, string, string];
}

const BAD_POOL_HEADER_TYPES: Record<number, [string, string, string]> = {
  32: [
    'a pool block header size is corrupt.',
    'The pool entry we were looking for within the page.',
    'The next pool entry.',
  ],
  3: [
    'the pool freelist is corrupt.',
    'the pool entry being checked.',
    'the read back flink freelist value (should be the same as 2).',
  ],
};

export const BUGCHECKS: Record<number, BugcheckText> = {
  10: {
    name: 'IRQL_NOT_LESS_OR_EQUAL',
    description: [
      'An attempt was made to access a pageable (or completely invalid) address at an',
      'interrupt request level (IRQL) that is too high.  This is usually',
      'caused by drivers using improper addresses.',
      'If a kernel debugger is available get the stack backtrace.',
    ],
    meanings: () => [
      'memory referenced',
      'IRQL',
      'bitfield :\n\tbit 0 : value 0 = read operation, 1 = write operation\n\tbit 3 : value 0 = not an execute operation, 1 = execute operation (only on chips which support this level of status)',
      'address which referenced memory',
    ],
  },
  25: {
    name: 'BAD_POOL_HEADER',
    description: [
      'The pool is already corrupt at the time of the current request.',
      'This may or may not be due to the caller.',
      'The internal pool links must be walked to figure out a possible cause of',
      'the problem, and then special pool applied to the suspect tags or the driver',
      'verifier to a suspect driver.',
    ],
    meanings: (args) => {
      const known = BAD_POOL_HEADER_TYPES[Number(args[0] ?? 0n)];
      return known ? [known[0], known[1], known[2], '(reserved)'] : ['', '', '', ''];
    },
  },
  59: {
    name: 'SYSTEM_SERVICE_EXCEPTION',
    description: ['An exception happened while executing a system service routine.'],
    meanings: () => [
      'Exception code that caused the bugcheck',
      'Address of the instruction which caused the bugcheck',
      'Address of the context record for the exception that caused the bugcheck',
      'zero.',
    ],
  },
  126: {
    name: 'SYSTEM_THREAD_EXCEPTION_NOT_HANDLED',
    description: [
      'This is a very common BugCheck.  Usually the exception address pinpoints',
      'the driver/function that caused the problem.  Always note this address',
      'as well as the link date of the driver/image that contains this address.',
    ],
    meanings: () => [
      'The exception code that was not handled',
      'The address that the exception occurred at',
      'Exception Record Address',
      'Context Record Address',
    ],
  },
  128: {
    name: 'NMI_HARDWARE_FAILURE',
    description: ['This is typically due to a hardware malfunction. The hardware supplier should be called.'],
    meanings: () => ['', '', '', ''],
  },
  214: {
    name: 'DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION',
    description: [
      'N bytes of memory was allocated and more than N bytes are being referenced.',
      'This cannot be protected by try-except.',
      "When possible, the guilty driver's name (Unicode string) is printed on",
      'the bugcheck screen and saved in KiBugCheckDriver.',
    ],
    meanings: () => [
      'memory referenced',
      'value 0 = read operation, 1 = write operation',
      'if non-zero, the address which referenced memory.',
      '(reserved)',
    ],
  },
  226: {
    name: 'MANUALLY_INITIATED_CRASH',
    description: ['The user manually initiated this crash dump.'],
    meanings: () => ['', '', '', ''],
  },
};

/** The drivers entry of a code; an unknown code gets KD's "Unknown bugcheck code" text. */
export function bugcheckText(code: number): BugcheckText {
  return (
    BUGCHECKS[code] ?? {
      name: `Unknown bugcheck code (${code.toString(16)})`,
      description: ['Unknown bugcheck description'],
      meanings: () => ['', '', '', ''],
    }
  );
}

/** The "Arg1: 0000000000000020, meaning" lines of `!analyze`. */
export function argumentLines(code: number, args: bigint[]): string[] {
  const meanings = bugcheckText(code).meanings(args);
  return args.map((value, i) => {
    const meaning = meanings[i] ?? '';
    return meaning === '' ? `Arg${i + 1}: ${hex16(value)}` : `Arg${i + 1}: ${hex16(value)}, ${meaning}`;
  });
}
