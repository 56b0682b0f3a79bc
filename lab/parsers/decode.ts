/**
 * Bytes of a saved output to text: what `>` redirection writes on Windows PowerShell (UTF-16LE
 * with a byte order mark), UTF-16BE with its mark, UTF-8 with or without one. Pure: whoever reads
 * the file (the parse CLI) hands the bytes here, and the parsers take the text.
 */

/** The text of a file's bytes, by its byte order mark (UTF-8 when it has none). */
export function decodeBytes(bytes: Uint8Array): string {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe)
    return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff)
    return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
    return new TextDecoder('utf-8').decode(bytes.subarray(3));
  // UTF-16LE without a mark: ASCII text has a zero in every second byte.
  if (bytes.length >= 4 && bytes.length % 2 === 0 && bytes[1] === 0 && bytes[3] === 0 && bytes[0] !== 0)
    return new TextDecoder('utf-16le').decode(bytes);
  return new TextDecoder('utf-8').decode(bytes);
}
