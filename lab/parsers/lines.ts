/**
 * Line splitting for large inputs: text arrives in chunks (file streams, pipes) or as lines
 * (readline). Chunks are split synchronously, so a consumer pays one await per chunk, not one
 * per line, and memory holds one chunk and one partial line at a time.
 */

/** Where streamed text comes from: chunks of text or bytes, or lines when `lines` is set. */
export type TextSource = AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>;

export interface StreamOptions {
  /** Each string item is one line (as readline yields them), not a chunk. */
  lines?: boolean;
}

/** Splits chunks into lines (without their line endings); keeps the partial last line for the next chunk. */
export class LineSplitter {
  private carry = '';
  private readonly decoder = new TextDecoder('utf-8');

  /** Calls `onLine` for every complete line the chunk finishes. */
  feed(item: string | Uint8Array, onLine: (line: string) => void, asLine = false): void {
    const chunk = typeof item === 'string' ? item : this.decoder.decode(item, { stream: true });
    if (asLine && typeof item === 'string') {
      onLine(chunk.endsWith('\r') ? chunk.slice(0, -1) : chunk);
      return;
    }
    const text = this.carry === '' ? chunk : this.carry + chunk;
    let start = 0;
    let nl = text.indexOf('\n');
    while (nl !== -1) {
      onLine(text.slice(start, nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl));
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    this.carry = start === 0 ? text : text.slice(start);
  }

  /** Ends the input: the last line if it had no line ending. */
  end(onLine: (line: string) => void): void {
    const tail = this.carry + this.decoder.decode();
    this.carry = '';
    if (tail !== '') onLine(tail.endsWith('\r') ? tail.slice(0, -1) : tail);
  }
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
 * Feeds every line of a source to `onLine`, and after each chunk yields what `drain` collected,
 * so the caller's async generator yields results while reading.
 */
export async function* linesInBatches<T>(
  source: TextSource,
  options: StreamOptions,
  onLine: (line: string) => void,
  drain: () => T[],
): AsyncGenerator<T> {
  const splitter = new LineSplitter();
  for await (const item of source as AsyncIterable<string | Uint8Array>) {
    for (const piece of options.lines === true ? [item] : piecesOf(item)) {
      splitter.feed(piece, onLine, options.lines === true);
      for (const x of drain()) yield x;
    }
  }
  splitter.end(onLine);
  for (const x of drain()) yield x;
}
