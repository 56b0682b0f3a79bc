/**
 * Tables whose columns are given by a dashed separator line (`fltmc`, `Get-VM`-style output).
 * Cells can be empty or contain spaces, so whitespace splitting is wrong; each run of `-` is a
 * column, and every word of a row goes to the column it overlaps most (values may spill a few
 * characters past a right-aligned column).
 */

export interface Span {
  start: number;
  end: number;
}

/** The column spans of a dashed line such as `------  -----   ---`, or null if it is not one. */
export function spansOf(dashed: string): Span[] | null {
  if (!/^[\s-]*-[\s-]*$/.test(dashed)) return null;
  const spans: Span[] = [];
  const re = /-+/g;
  for (let m = re.exec(dashed); m !== null; m = re.exec(dashed))
    spans.push({ start: m.index, end: m.index + m[0].length });
  return spans.length > 0 ? spans : null;
}

/** Splits a row into one cell per span (empty string for an empty cell). */
export function cellsOf(row: string, spans: readonly Span[]): string[] {
  const parts: { start: number; end: number }[][] = spans.map(() => []);
  const re = /\S+/g;
  for (let m = re.exec(row); m !== null; m = re.exec(row)) {
    const start = m.index;
    const end = m.index + m[0].length;
    let best = -1;
    let bestScore = Number.NEGATIVE_INFINITY;
    spans.forEach((span, i) => {
      const overlap = Math.min(end, span.end) - Math.max(start, span.start);
      const score = overlap > 0 ? overlap : -Math.min(Math.abs(start - span.end), Math.abs(span.start - end));
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    });
    parts[best]?.push({ start, end });
  }
  return parts.map((words) => {
    const first = words[0];
    const last = words[words.length - 1];
    return first && last ? row.slice(first.start, last.end) : '';
  });
}
