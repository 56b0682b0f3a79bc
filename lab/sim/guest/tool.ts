/**
 * What a simulated guest tool is: a program that reads its arguments and the guest's state and
 * prints what the real tool prints (English), with its exit code. Output uses CRLF line ends, as
 * the Windows tools write it.
 */

export interface ToolResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export const CRLF = '\r\n';

/** Lines joined with CRLF, each ended with CRLF ('' for none). */
export function text(...lines: string[]): string {
  return lines.map((l) => `${l}${CRLF}`).join('');
}

export function ok(stdout: string, exitCode = 0): ToolResult {
  return { stdout, stderr: '', exitCode };
}

export function fail(stdout: string, exitCode = 1, stderr = ''): ToolResult {
  return { stdout, stderr, exitCode };
}

/** An argument compared the way Windows tools compare switches: case-insensitively, / or - prefix. */
export function isSwitch(arg: string | undefined, ...names: string[]): boolean {
  if (arg === undefined) return false;
  const bare = arg.replace(/^[/-]/, '').toLowerCase();
  return (arg.startsWith('/') || arg.startsWith('-')) && names.some((n) => n.toLowerCase() === bare);
}
