/** OS errors in words: known codes become words (with the path when it adds one), others keep their message. */
import { expect, test } from "bun:test";
import { systemErrorCode, systemErrorText } from "../../src/util/system_error_text.ts";

function osError(code: string, message: string, path?: string): Error {
  return Object.assign(new Error(message), { code, path });
}

test("known codes are words; a path other than the subject is added", () => {
  const denied = osError("EACCES", "EACCES: permission denied, open '/srv/data/log/1.log'", "/srv/data/log/1.log");
  expect(systemErrorText(denied)).toBe("permission denied: /srv/data/log/1.log");
  expect(systemErrorText(denied, "/srv/data/log/1.log")).toBe("permission denied");
  expect(systemErrorText(osError("EADDRINUSE", "Failed to listen at 127.0.0.1"))).toBe("address already in use");
  expect(systemErrorText(osError("ENOSPC", "ENOSPC: no space left on device, write"))).toBe(
    "no space left on the device",
  );
  expect(systemErrorText(osError("EROFS", "EROFS: read-only file system, open 'x'", "x"))).toBe(
    "read-only file system: x",
  );
});

test("errors without a known OS code keep their own message", () => {
  expect(systemErrorText(new Error("corrupt record in x at offset 32"))).toBe("corrupt record in x at offset 32");
  expect(systemErrorText(osError("EWEIRD", "something odd"))).toBe("something odd");
  expect(systemErrorText("a string")).toBe("a string");
  expect(systemErrorCode(osError("NOT_LEADER", "not an OS code"))).toBeNull();
  expect(systemErrorCode(osError("EEXIST", "EEXIST: file already exists"))).toBe("EEXIST");
});
