/**
 * Driver Verifier's non-fatal I/O verification errors with a kernel debugger attached: the target
 * prints a WDM DRIVER ERROR, asks "Break, Ignore, Zap, Remove, Disable all (bizrd)?" and waits for
 * the debugger's answer (domain brief §2.7, §4.5).
 *
 * The layout of what is printed follows the I/O verifier's own print routine (a blank line, the
 * class text and a colon, `[driver.sys @ 0x…]`, the message wrapped at 78 columns under the class
 * text, then the DbgPrompt question); the question and the answers' texts are the I/O verifier's
 * strings as the public Windows sources print them. UNCERTAIN: the message wording for each code is
 * the 0xC9 documentation's description of that code, not a capture of a live session; after `b`
 * and `g` the real verifier asks again ("press g<enter> to return to assert menu"), which this
 * model does not: the assertion is over once the target runs again.
 */
import type { DriverFault } from '../../config/embedded.js';
import type { KernelOutcome } from '../ports.js';
import { hex16 } from './hex.js';
import type { KernelState } from './state.js';
import { moduleNamed } from './symbols.js';

type WdmDriverError = Extract<DriverFault, { kind: 'wdm-driver-error' }>;

/** I/O verification, the flag that checks the IRPs a driver sends (verifier /flags 0x10). */
export const IO_VERIFICATION = 0x10;

export const VERIFIER_PROMPT = 'Break, Ignore, Zap, Remove, Disable all (bizrd)? ';

const CLASS_TEXT = 'WDM DRIVER ERROR';

const MESSAGES: Record<WdmDriverError['code'], string> = {
  526: 'A PnP IRP was sent with its status not initialized to STATUS_NOT_SUPPORTED.',
  527: 'A Power IRP was sent with its status not initialized to STATUS_NOT_SUPPORTED.',
  528: 'A WMI IRP was sent with its status not initialized to STATUS_NOT_SUPPORTED.',
  529: 'An IRP was sent to a device object that skips the next device object in the stack.',
};

/** The message wrapped as the verifier prints it: 78 columns, continuation lines under the class text. */
function wrapped(prefix: string, message: string): string[] {
  const margin = ' '.repeat(CLASS_TEXT.length + 2);
  const lines: string[] = [];
  let line = prefix;
  for (const word of message.split(' ')) {
    if (line.length + word.length + 1 > 78 && line.trim() !== '') {
      lines.push(line.trimEnd());
      line = margin;
    }
    line += `${word} `;
  }
  lines.push(line.trimEnd());
  return lines;
}

/** What the target prints for the error, before the question. */
export function wdmErrorText(state: KernelState, binary: string, fault: WdmDriverError): string {
  const module = moduleNamed(state, binary.replace(/\.sys$/i, ''));
  const base = module ? BigInt(`0x${module.base}`) : 0n;
  const culprit = hex16(base + 0x1a2cn + BigInt(fault.code - 0x200) * 0x40n).toUpperCase();
  return ['', ...wrapped(`${CLASS_TEXT}: [${binary} @ 0x${culprit}] `, MESSAGES[fault.code]), ''].join('\n');
}

/**
 * A driver's trigger met its WDM DRIVER ERROR: asked when I/O verification checks the driver and
 * the error was not removed or disabled, only printed once zapped; nothing otherwise.
 */
export function wdmDriverError(
  state: KernelState,
  driver: { name: string; binary: string },
  fault: WdmDriverError,
  verified: boolean,
): KernelOutcome {
  const asserts = state.verifierAsserts;
  const key = `${driver.name}:${fault.code.toString(16)}`;
  if (!verified || (state.boot.verifier.flags & IO_VERIFICATION) === 0) return { kind: 'none' };
  if (asserts.disabled || asserts.removed.includes(key)) return { kind: 'none' };
  const text = wdmErrorText(state, driver.binary, fault);
  if (asserts.zapped.includes(key)) return { kind: 'verifier-error', text, ask: false };
  asserts.pending = { key, text };
  return { kind: 'verifier-error', text, ask: true };
}

/** What the verifier prints for an answer, and whether the target runs on (not after `b`). */
export function answerAssert(
  state: KernelState,
  choice: 'b' | 'i' | 'z' | 'r' | 'd',
): { text: string; runs: boolean } {
  const asserts = state.verifierAsserts;
  const pending = asserts.pending;
  if (!pending) return { text: '', runs: true };
  asserts.pending = null;
  switch (choice) {
    case 'b':
      return { text: 'Breaking in... (press g<enter> to return to assert menu)\n', runs: false };
    case 'i':
      return { text: '', runs: true };
    case 'z':
      asserts.zapped.push(pending.key);
      return { text: 'Breakpoint zapped (OS will print text and return)\n', runs: true };
    case 'r':
      asserts.removed.push(pending.key);
      return { text: 'Breakpoint removed\n', runs: true };
    case 'd':
      asserts.disabled = true;
      return { text: 'Verification asserts disabled.\n', runs: true };
  }
}
