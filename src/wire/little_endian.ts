/**
 * Little-endian loads and stores on a byte array at any offset, for the hand-laid frames of the get
 * fast path (FlatBuffers is little-endian): no DataView to build per frame, and the same
 * bytes whatever the host's order.
 */
const doubleBytes = 8;
const doubleScratch = new Float64Array(1);
const doubleScratchBytes = new Uint8Array(doubleScratch.buffer);
const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function writeDouble(bytes: Uint8Array, position: number, value: number): void {
  doubleScratch[0] = value;
  for (let index = 0; index < doubleBytes; index++) {
    bytes[position + index] = doubleScratchBytes[hostIsLittleEndian ? index : doubleBytes - 1 - index]!;
  }
}

export function writeUint32(bytes: Uint8Array, position: number, value: number): void {
  bytes[position] = value;
  bytes[position + 1] = value >>> 8;
  bytes[position + 2] = value >>> 16;
  bytes[position + 3] = value >>> 24;
}

export function readUint32(bytes: Uint8Array, position: number): number {
  return (bytes[position]! | (bytes[position + 1]! << 8) | (bytes[position + 2]! << 16) | (bytes[position + 3]! << 24)) >>> 0;
}

export function readDouble(bytes: Uint8Array, position: number): number {
  for (let index = 0; index < doubleBytes; index++) {
    doubleScratchBytes[hostIsLittleEndian ? index : doubleBytes - 1 - index] = bytes[position + index]!;
  }
  return doubleScratch[0]!;
}
