/**
 * `get --json` and `scan --json` output: one JSON object per line. A key or value that is valid
 * UTF-8 is a JSON string under "key"/"value"; other bytes go, base64-encoded, under
 * "keyBase64"/"valueBase64" instead, the same spelling `filestore batch` reads, so no byte is
 * lost or mangled and text stays readable.
 */

// ignoreBOM: a value that starts with a byte order mark keeps it.
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

interface JsonEntry {
  key: Uint8Array;
  /** Absent with scan --keys-only. */
  value?: Uint8Array;
  /** The revision that wrote the entry, where the command knows it (scan). */
  version?: bigint;
}

export function jsonEntryLine(entry: JsonEntry): string {
  const object: Record<string, string | number> = {};
  putBytes(object, "key", entry.key);
  if (entry.value !== undefined) putBytes(object, "value", entry.value);
  if (entry.version !== undefined) object.version = Number(entry.version);
  return `${JSON.stringify(object)}\n`;
}

function putBytes(object: Record<string, string | number>, field: string, bytes: Uint8Array): void {
  try {
    object[field] = strictUtf8.decode(bytes);
  } catch {
    object[`${field}Base64`] = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
  }
}
