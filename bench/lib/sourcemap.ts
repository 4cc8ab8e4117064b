/** Just enough of a source map reader to tell which source file a bundled function came from. */
import fs from 'node:fs';

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const VALUE = new Map([...BASE64].map((c, i) => [c, i]));

/** Segments per generated line: [generatedColumn, sourceIndex][] sorted by column. */
type Lines = [number, number][][];

function decode(mappings: string): Lines {
  const lines: Lines = [];
  let source = 0;
  for (const line of mappings.split(';')) {
    const segments: [number, number][] = [];
    let column = 0;
    for (const segment of line.split(',')) {
      if (!segment) continue;
      const fields: number[] = [];
      let value = 0;
      let shift = 0;
      for (const char of segment) {
        const digit = VALUE.get(char) ?? 0;
        value += (digit & 31) << shift;
        if (digit & 32) {
          shift += 5;
          continue;
        }
        fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
        value = 0;
        shift = 0;
      }
      column += fields[0] ?? 0;
      // Later fields (original line/column, name) are not needed; source index is relative.
      if (fields.length >= 4) source += fields[1];
      if (fields.length >= 4) segments.push([column, source]);
      // Original line and column deltas would be fields[2], fields[3]: they accumulate but are unused here.
    }
    lines.push(segments);
  }
  return lines;
}

export interface SourceLookup {
  (line: number, column: number): string | undefined;
}

/** Maps a 0-based generated line/column of `bundle` to its source path, using `${bundle}.map`. */
export function sourceLookup(bundle: string): SourceLookup {
  let map: { sources: string[]; mappings: string };
  try {
    map = JSON.parse(fs.readFileSync(`${bundle}.map`, 'utf8'));
  } catch {
    return () => undefined;
  }
  const lines = decode(map.mappings);
  return (line, column) => {
    const segments = lines[line];
    if (!segments?.length) return undefined;
    let found = segments[0];
    for (const segment of segments) {
      if (segment[0] > column) break;
      found = segment;
    }
    return map.sources[found[1]];
  };
}
