/** The segment file format: header and record frames round-trip and every flipped bit is detected. */
import { describe, expect, test } from "bun:test";
import {
  encodeRecord,
  encodeSegmentHeader,
  parseSegmentFileName,
  recordFrameBytes,
  recordHeaderBytes,
  recordProblem,
  segmentFileName,
  segmentHeaderBytes,
  segmentHeaderProblem,
} from "../../src/log/record_format.ts";
import { scanSegment } from "../../src/log/segment_scan.ts";
import { segmentSizeBytesDefault, segmentSizeBytesMax, segmentSizeBytesMin } from "../../src/log/constants.ts";
import { payloadFor } from "./helpers.ts";

describe("segment header", () => {
  test("round trips its first index, also above 2^32", () => {
    for (const firstIndex of [1, 77, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER]) {
      expect(segmentHeaderProblem(encodeSegmentHeader(firstIndex), firstIndex)).toBeNull();
    }
  });

  test("every flipped bit and a mismatching file name are detected", () => {
    const header = encodeSegmentHeader(42);
    for (let bit = 0; bit < segmentHeaderBytes * 8; bit += 1) {
      const damaged = header.slice();
      damaged[bit >> 3] ^= 1 << (bit & 7);
      expect(segmentHeaderProblem(damaged, 42)).not.toBeNull();
    }
    expect(segmentHeaderProblem(header, 43)).toBe("header first index 42 differs from file name 43");
    expect(segmentHeaderProblem(header.subarray(0, 31), 42)).toBe("segment shorter than its header");
  });

  test("file names sort by first index and parse back", () => {
    expect(segmentFileName(12)).toBe("00000000000000000012.log");
    expect(parseSegmentFileName(segmentFileName(2 ** 40))).toBe(2 ** 40);
    expect([parseSegmentFileName("12.log"), parseSegmentFileName("00000000000000000000.log"), parseSegmentFileName("x.tmp")]).toEqual([null, null, null]);
  });
});

describe("record frame", () => {
  test("a valid record passes; every flipped bit of it is detected", () => {
    const payload = payloadFor(9, 24);
    const bytes = new Uint8Array(recordFrameBytes(payload.length));
    expect(encodeRecord(bytes, 0, 9, payload)).toBe(bytes.length);
    expect(recordProblem(bytes, 0, bytes.length, 9)).toBeNull();
    expect(recordProblem(bytes, 0, bytes.length, 10)).toBe("record index differs from the expected sequence");
    expect(recordProblem(bytes, 0, bytes.length - 1, 9)).toBe("record payload cut short");
    expect(recordProblem(bytes, 0, recordHeaderBytes - 1, 9)).toBe("record header cut short");
    for (let bit = 0; bit < bytes.length * 8; bit += 1) {
      const damaged = bytes.slice();
      damaged[bit >> 3] ^= 1 << (bit & 7);
      expect(recordProblem(damaged, 0, damaged.length, 9)).not.toBeNull();
    }
  });

  test("a scan finds every record of a segment and stops at a torn one", () => {
    const bytes = new Uint8Array(segmentHeaderBytes + 3 * recordFrameBytes(10));
    bytes.set(encodeSegmentHeader(5));
    let offset = segmentHeaderBytes;
    for (const index of [5, 6, 7]) offset = encodeRecord(bytes, offset, index, payloadFor(index, 10));
    const whole = scanSegment(bytes, 5, false);
    expect([whole.offsets.length, whole.validEndOffset, whole.framingLost, whole.corruptRecords]).toEqual([3, bytes.length, null, []]);
    const torn = scanSegment(bytes.subarray(0, bytes.length - 3), 5, false);
    expect([torn.offsets.length, torn.validEndOffset, torn.framingLost?.index]).toEqual([2, bytes.length - recordFrameBytes(10), 7]);
  });
});

test("limits agree with each other", () => {
  expect(segmentSizeBytesMin).toBeLessThanOrEqual(segmentSizeBytesDefault);
  expect(segmentSizeBytesDefault).toBeLessThanOrEqual(segmentSizeBytesMax);
  expect(segmentSizeBytesMax).toBeLessThan(2 ** 32);
  expect(segmentSizeBytesMin).toBeGreaterThan(segmentHeaderBytes + recordHeaderBytes);
});
