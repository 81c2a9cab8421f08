/**
 * The server's fast path for the reply every successful write gets (put, delete, cas: status OK,
 * applied and the version), written straight into the connection's output buffer from a fixed
 * layout instead of through a flatbuffers Builder; and the client's one-pass check of it. The
 * layout is an ordinary FlatBuffer that the generated code and the verifier read like the
 * Builder's own (test/net/response_reader.test.ts). Offsets are from the start of the
 * Envelope, after the u32 length prefix; every double sits on an 8-byte boundary. The Envelope
 * and Response parts are the get reply's (get_reply_layout.ts) with another result type.
 *
 *   0   u32  root offset -> Envelope table at 28
 *   4   Envelope vtable: size 22, table size 20, slot 0 (request_id) at +4, slots 1-6 absent,
 *       slot 7 (body_type) at +16, slot 8 (body) at +12; 2 bytes of padding
 *   28  Envelope table: i32 24 (back to its vtable), f64 request_id at 32, u32 body offset at
 *       40 (-> 64), u8 body_type Response at 44, 3 bytes of padding
 *   48  Response vtable: size 14, table size 12, status at +8, message and leader_hint absent,
 *       result_type at +9, result at +4; 2 bytes of padding
 *   64  Response table: i32 16, u32 result offset at 68 (-> 84), u8 status OK at 72,
 *       u8 result_type WriteResult at 73, 2 bytes of padding
 *   76  WriteResult vtable: size 8, table size 16, applied at +12, version at +4
 *   84  WriteResult table: i32 8, f64 version at 88, u8 applied (0 or 1) at 96, 3 bytes of padding
 */
import { Result } from "../../schemas/generated/filestore_generated";
import { appendReplyHead, matchesReplyHead, replyRequestId, replyTemplateBytes, replyVersion } from "./get_reply_layout";
import { LayoutTemplate } from "./layout_template";
import type { DecodedResponse } from "./response_codec";
import type { OutputBuffer } from "../wire/output_buffer";

const appliedPosition = 96;
const envelopeBytes = 100;

/** The constant bytes of the layout above (request id, version and applied are patched in). */
const template = new LayoutTemplate(replyTemplateBytes(envelopeBytes, Result.WriteResult));

/** Appends the frame (length prefix + Envelope) of a successful write's reply to `output`. */
export function appendWriteReply(output: OutputBuffer, requestId: number, applied: boolean, version: number): void {
  const envelope = appendReplyHead(output, template, envelopeBytes, requestId, version);
  output.bytes[envelope + appliedPosition] = applied ? 1 : 0;
}

/**
 * The client's side: when bytes[start, end) (an Envelope without its length prefix) is exactly
 * the layout above, byte for byte but for the request id, the version and an applied byte of
 * 0 or 1, it is a valid FlatBuffer by construction and is read without the verifier's walk.
 * Any other frame returns null: the general readers decide it.
 */
export function readLaidOutWriteReply(bytes: Uint8Array, start = 0, end = bytes.length): DecodedResponse | null {
  if (end - start !== envelopeBytes) return null;
  const applied = bytes[start + appliedPosition];
  if (applied !== 0 && applied !== 1) return null;
  if (!matchesReplyHead(template, bytes, start) || !template.matches(bytes, start, appliedPosition + 1, envelopeBytes)) return null;
  return {
    requestId: replyRequestId(bytes, start),
    reply: { status: "OK", message: "", leaderHint: "", result: { kind: "write", outcome: { applied: applied === 1, version: replyVersion(bytes, start) } } },
  };
}
