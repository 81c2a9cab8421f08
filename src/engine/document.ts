/**
 * Document values: the engine stores bytes as given; a document is a value holding one
 * msgpack-encoded object. Document wraps such bytes and decodes them only when a field is
 * first asked for (a scan that filters on keys never pays for decoding), then caches the
 * result. For the query executor; nothing on the write path decodes documents.
 */
import { Decoder, Encoder } from "@msgpack/msgpack";
import { EngineError } from "./errors.ts";
import { valueSizeBytesMax } from "./limits.ts";

/**
 * Bounds on what one document may declare, so a hostile value cannot make the decoder
 * allocate more than the bytes it came in: no string, binary, array or map can be longer
 * than the largest value the engine stores.
 */
const documentDecoder = new Decoder({
  maxStrLength: valueSizeBytesMax,
  maxBinLength: valueSizeBytesMax,
  maxArrayLength: valueSizeBytesMax,
  maxMapLength: valueSizeBytesMax,
  maxExtLength: valueSizeBytesMax,
});
/** One reused encoder: msgpack encoding allocates less with a warm buffer. */
const documentEncoder = new Encoder();

const notDecoded = Symbol("not decoded");

export class Document {
  private decoded: unknown = notDecoded;

  /** `bytes` may be a view into the log: it is read, never kept past decoding. */
  constructor(readonly bytes: Uint8Array) {}

  static encode(value: unknown): Uint8Array {
    // The encoder's output is a view of its reused buffer: copy it before the next encode.
    return documentEncoder.encode(value).slice();
  }

  /** The whole decoded document; throws EngineError INVALID_REQUEST when it is not msgpack. */
  root(): unknown {
    if (this.decoded === notDecoded) {
      try {
        this.decoded = documentDecoder.decode(this.bytes);
      } catch (error) {
        throw new EngineError("INVALID_REQUEST", `value is not a msgpack document: ${(error as Error).message}`);
      }
    }
    return this.decoded;
  }

  /** The value at a path of map keys / array positions, or undefined when any step is missing. */
  field(path: readonly (string | number)[]): unknown {
    let current = this.root();
    for (const step of path) {
      if (current === null || typeof current !== "object") return undefined;
      if (current instanceof Map) current = current.get(step);
      else if (Array.isArray(current)) current = typeof step === "number" ? current[step] : undefined;
      else current = Object.hasOwn(current, step) ? (current as Record<string | number, unknown>)[step] : undefined;
    }
    return current;
  }
}
