/**
 * A msgpack decoder for bytes from outside this process's own memory (a snapshot read from disk
 * or a peer): it believes no length field beyond the input's own length (every element takes at
 * least a byte), so a damaged length is refused at once instead of making the decoder allocate
 * what it claims (a 4-byte array length asks for up to 2^32 elements).
 */
import { Decoder } from "@msgpack/msgpack";

export function boundedDecoder(inputBytes: number): Decoder {
  const bound = { maxStrLength: inputBytes, maxBinLength: inputBytes, maxArrayLength: inputBytes };
  return new Decoder({ ...bound, maxMapLength: inputBytes, maxExtLength: inputBytes });
}
