/**
 * Line splitting for large inputs: text arrives in chunks (file streams, pipes) or as lines
 * (readline); either way the parsers see one line at a time and memory stays flat.
 */

/** Where streamed text comes from: chunks of text or bytes, or lines when `lines` is set. */
export type TextSource = AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>;

export interface StreamOptions {
  /** Each string item is one line (as readline yields them), not a chunk. */
  lines?: boolean;
}

/** Yields the lines of a chunked source, without their line endings, in order. */
export async function* linesOf(source: TextSource, options: StreamOptions = {}): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  let carry = '';
  for await (const item of source as AsyncIterable<string | Uint8Array>) {
    const chunk = typeof item === 'string' ? item : decoder.decode(item, { stream: true });
    if (options.lines === true && typeof item === 'string') {
      yield chunk.endsWith('\r') ? chunk.slice(0, -1) : chunk;
      continue;
    }
    let text = carry + chunk;
    let start = 0;
    for (let nl = text.indexOf('\n', start); nl !== -1; nl = text.indexOf('\n', start)) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      yield text.slice(start, end);
      start = nl + 1;
    }
    carry = text.slice(start);
    text = '';
  }
  const tail = carry + decoder.decode();
  if (tail !== '') yield tail.endsWith('\r') ? tail.slice(0, -1) : tail;
}
