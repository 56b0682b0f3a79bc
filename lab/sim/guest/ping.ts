/**
 * `ping.exe` in the simulated guest: one echo request a second of lab time, each line printed as
 * it happens (so a ping stopped at its time limit has printed what it had), the statistics at the
 * end. The guest's network is not modelled beyond itself: its loopback and its own addresses
 * answer in under a millisecond; any other IPv4 address times out; a name other than localhost
 * is not found.
 *
 * The layout is Windows 10's English ping (a blank line, "Pinging … with 32 bytes of data:", one
 * line per request, the statistics block); ping exits 0 when a reply came back, 1 otherwise.
 */
import { type ToolResult, text } from './tool.js';

export interface PingIo {
  /** Waits lab milliseconds; rejects when the program is stopped. */
  sleep(labMs: number): Promise<void>;
  /** Prints as the program goes. */
  write(stream: 'stdout' | 'stderr', text: string): void;
  /** The guest's own addresses (they answer like the loopback). */
  addresses: readonly string[];
}

function isIpv4(text: string): boolean {
  return (
    /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(text) &&
    text.split('.').every((p) => Number(p) <= 255)
  );
}

const USAGE = text(
  '',
  'Usage: ping [-t] [-a] [-n count] [-l size] [-f] [-i TTL] [-v TOS]',
  '            [-r count] [-s count] [[-j host-list] | [-k host-list]]',
  '            [-w timeout] [-R] [-S srcaddr] [-c compartment] [-p]',
  '            [-4] [-6] target_name',
);

export async function ping(args: readonly string[], io: PingIo): Promise<ToolResult> {
  let count = 4;
  let forever = false;
  let size = 32;
  let waitMs = 4000;
  let target: string | undefined;
  for (let i = 0; i < args.length; i += 1) {
    const a = (args[i] ?? '').toLowerCase();
    const value = () => Number(args[++i]);
    if (a === '-n' || a === '/n') count = value();
    else if (a === '-l' || a === '/l') size = value();
    else if (a === '-w' || a === '/w') waitMs = value();
    else if (a === '-t' || a === '/t') forever = true;
    else if (a === '-4' || a === '/4' || a === '-a' || a === '/a') continue;
    else if (/^[-/]/.test(a)) {
      const said = text(`Bad option ${args[i]}.`) + USAGE;
      io.write('stdout', said);
      return { stdout: said, stderr: '', exitCode: 1 };
    } else target = args[i];
  }
  if (target === undefined || !Number.isInteger(count) || count < 1 || !Number.isInteger(size) || size < 0) {
    const said =
      target === undefined ? USAGE : text(`Bad value for option -n, valid range is from 1 to 4294967295.`);
    io.write('stdout', said);
    return { stdout: said, stderr: '', exitCode: 1 };
  }
  const address = target.toLowerCase() === 'localhost' ? '127.0.0.1' : target;
  if (!isIpv4(address)) {
    const said = text(`Ping request could not find host ${target}. Please check the name and try again.`);
    io.write('stdout', said);
    return { stdout: said, stderr: '', exitCode: 1 };
  }
  const answers = address.startsWith('127.') || io.addresses.includes(address);
  let stdout = '';
  const print = (chunk: string) => {
    stdout += chunk;
    io.write('stdout', chunk);
  };
  print(text('', `Pinging ${address} with ${size} bytes of data:`));
  let sent = 0;
  let received = 0;
  for (let i = 0; forever || i < count; i += 1) {
    if (i > 0) await io.sleep(1000);
    sent += 1;
    if (answers) {
      received += 1;
      print(text(`Reply from ${address}: bytes=${size} time<1ms TTL=128`));
    } else {
      await io.sleep(waitMs);
      print(text('Request timed out.'));
    }
  }
  const lost = sent - received;
  print(
    text(
      '',
      `Ping statistics for ${address}:`,
      `    Packets: Sent = ${sent}, Received = ${received}, Lost = ${lost} (${Math.round((lost / sent) * 100)}% loss),`,
      ...(received > 0
        ? [
            'Approximate round trip times in milli-seconds:',
            '    Minimum = 0ms, Maximum = 0ms, Average = 0ms',
          ]
        : []),
    ),
  );
  return { stdout, stderr: '', exitCode: received > 0 ? 0 : 1 };
}
