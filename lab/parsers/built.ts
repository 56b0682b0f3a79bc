/**
 * The parsers build their values only from the patterns they matched, so the type checker sees
 * each value against its schema's type here, and the schema itself runs once, at the boundary
 * (`parsers[kind].parse`). The streaming entry points (parseIrpLogStream, parseTranscriptStream)
 * skip that second pass over every value, which would double their cost per entry. That is safe
 * because what zod would check beyond the types is already guaranteed where each value is made:
 * hex values come from hexOrNull or from patterns that admit only hex digits (so they are
 * `0x` + lowercase hex), integers from patterns of digits, enums from fixed literals; and a value
 * that does not fit its schema would be a defect of the parser, not of the input. Tests keep the
 * two paths equal: the stream tests compare the streams with the validating path on every
 * debugger fixture (LF and CRLF, any chunking), and the fuzz tests run the validating path on
 * 230,000 mutated inputs.
 */
import type * as z from 'zod';

/** Returns the value a parser built, typed as its schema's output. */
export function built<S extends z.ZodType>(_schema: S, value: z.output<S>): z.output<S> {
  return value;
}
