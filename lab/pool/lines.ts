/** One JSON message per line on a loopback socket: both ends of the lease broker read this way. */
import type { Socket } from 'node:net';

/** Calls `onLine` with every whole line the socket receives, in order (its newline removed). */
export function onLines(socket: Socket, onLine: (line: string) => void): void {
  socket.setEncoding('utf8');
  let buffered = '';
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      onLine(line);
      newline = buffered.indexOf('\n');
    }
  });
}
