/**
 * A peer-port frame from an Envelope body already built: u32 little-endian length, then the
 * FlatBuffers Envelope (schemas/filestore.fbs). Shared by the peer protocol's codec
 * (peer_codec.ts) and the join exchange's (join_codec.ts).
 */
import type * as flatbuffers from "flatbuffers";
import { Envelope, type Body } from "../../../schemas/generated/filestore_generated";

export const lengthPrefixBytes = 4;

/** Finishes the Envelope around `body` and returns it as a complete frame (a fresh array). */
export function finishEnvelope(builder: flatbuffers.Builder, bodyType: Body, body: number): Uint8Array {
  Envelope.startEnvelope(builder);
  Envelope.addBodyType(builder, bodyType);
  Envelope.addBody(builder, body);
  builder.finish(Envelope.endEnvelope(builder));
  const envelope = builder.asUint8Array();
  const frame = new Uint8Array(lengthPrefixBytes + envelope.length);
  new DataView(frame.buffer).setUint32(0, envelope.length, true);
  frame.set(envelope, lengthPrefixBytes);
  return frame;
}
