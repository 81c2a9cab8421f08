/**
 * Escapes bytes so a key or value fits on one line of `scan` output: backslash, tab, newline
 * and carriage return become \\ \t \n \r; other control bytes and bytes that are not part of a
 * valid UTF-8 character become \xHH. Valid UTF-8 text is kept as is, so text stays readable
 * and binary data stays recoverable.
 */
const namedEscapes: Record<number, string> = { 0x5c: "\\\\", 0x09: "\\t", 0x0a: "\\n", 0x0d: "\\r" };
const utf8 = new TextDecoder("utf-8", { fatal: true });

export function escapeForLine(bytes: Uint8Array): string {
  let text = "";
  let index = 0;
  while (index < bytes.length) {
    const byte = bytes[index];
    const named = namedEscapes[byte];
    if (named !== undefined) {
      text += named;
      index += 1;
    } else if (byte >= 0x20 && byte < 0x7f) {
      text += String.fromCharCode(byte);
      index += 1;
    } else {
      const length = byte >= 0x80 ? utf8SequenceLength(bytes, index) : 0;
      if (length > 0) {
        text += utf8.decode(bytes.subarray(index, index + length));
        index += length;
      } else {
        text += `\\x${byte.toString(16).padStart(2, "0")}`;
        index += 1;
      }
    }
  }
  return text;
}

/** Length of the valid UTF-8 character starting at `start`, or 0 when there is none. */
function utf8SequenceLength(bytes: Uint8Array, start: number): number {
  const lead = bytes[start];
  const length = lead >= 0xf0 && lead <= 0xf4 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc2 && lead <= 0xdf ? 2 : 0;
  if (length === 0 || (length === 3 && lead > 0xef) || start + length > bytes.length) return 0;
  try {
    utf8.decode(bytes.subarray(start, start + length)); // rejects overlongs, surrogates, bad continuations
    return length;
  } catch {
    return 0;
  }
}
