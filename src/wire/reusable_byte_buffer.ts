/**
 * One flatbuffers ByteBuffer pointed at each frame in turn. The runtime's constructor builds a
 * TextDecoder every time, which costs more than decoding a small request; the decoders read
 * every field eagerly, so nothing keeps using the buffer after the frame is decoded.
 */
import * as flatbuffers from "flatbuffers";

export class ReusableByteBuffer extends flatbuffers.ByteBuffer {
  constructor() {
    super(new Uint8Array(0));
  }

  /** Points this buffer at `bytes`, position 0. */
  over(bytes: Uint8Array): this {
    (this as unknown as { bytes_: Uint8Array }).bytes_ = bytes;
    this.setPosition(0);
    return this;
  }
}
