/**
 * Large inputs: text arrives in chunks (file streams, pipes) or as lines (readline). Chunks are
 * cut into pieces of whole lines, so a consumer pays one await per piece, not one per line, and
 * memory holds one piece and one partial line at a time.
 */

/** Where streamed text comes from: chunks of text or bytes, or lines when `lines` is set. */
export type TextSource = AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>;

export interface StreamOptions {
  /** Each string item is one line (as readline yields them), not a chunk. */
  lines?: boolean;
}

/**
 * Large chunks are fed in pieces of this size, with results handed out after each piece, so
 * results die young whatever chunk size the caller reads with (measured: 1 MB pieces let
 * thousands of entries survive a scavenge and doubled the run time).
 */
export const PIECE = 16 * 1024;

/** The pieces of one chunk, at most PIECE characters or bytes each. */
export function* piecesOf(item: string | Uint8Array): Generator<string | Uint8Array> {
  if (item.length <= PIECE) {
    yield item;
    return;
  }
  for (let at = 0; at < item.length; at += PIECE) {
    yield typeof item === 'string' ? item.slice(at, at + PIECE) : item.subarray(at, at + PIECE);
  }
}

/**
 * The text of a source in pieces of whole lines (each ends with "\n", the last piece of the input
 * may not), at most about PIECE characters each: bytes are decoded once per piece, and a line cut
 * by a chunk boundary is carried to the next piece. With `lines`, each string item is one line.
 */
export async function* wholeLines(source: TextSource, options: StreamOptions = {}): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  let carry = '';
  for await (const item of source as AsyncIterable<string | Uint8Array>) {
    if (options.lines === true && typeof item === 'string') {
      yield `${carry}${item.endsWith('\r') ? item.slice(0, -1) : item}\n`;
      carry = '';
      continue;
    }
    for (const piece of piecesOf(item)) {
      const text = carry + (typeof piece === 'string' ? piece : decoder.decode(piece, { stream: true }));
      const last = text.lastIndexOf('\n');
      if (last === -1) {
        carry = text;
        continue;
      }
      carry = last + 1 === text.length ? '' : text.slice(last + 1);
      yield last + 1 === text.length ? text : text.slice(0, last + 1);
    }
  }
  const tail = carry + decoder.decode();
  if (tail !== '') yield tail.endsWith('\r') ? tail.slice(0, -1) : tail;
}
