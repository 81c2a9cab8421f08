/**
 * One process per data folder. A node (`filestore serve`), and any tool that reads or writes a
 * data folder (`filestore check`), holds an exclusive flock(2) on DATA/filestore.lock for as
 * long as it uses the folder. Two processes writing one folder would interleave their log
 * appends and corrupt it, so the second one is refused at once (DataFolderError).
 *
 * Why flock: the kernel drops the lock when the last descriptor of the open file closes, which
 * happens however the process ends, kill -9 included, so a stale lock cannot exist and nothing
 * ever has to delete one. The lock file is never removed (removing it would let a second process
 * lock a new file of the same name while the first still holds the old one). Its content, the
 * holder's PID, serves only the refusal message; the lock is the flock, not the file.
 * Neither Bun nor Node exposes flock, so it is called in the C library through bun:ffi (which
 * also works in the `bun build --compile` binary). A lock taken twice in one process is refused
 * as well: each open() is its own open file description.
 */
import fs from "node:fs";
import path from "node:path";
import { dlopen, FFIType, type Pointer, read } from "bun:ffi";
import { assert } from "./assert.ts";
import { systemErrorCode, systemErrorText } from "./system_error_text.ts";

export const dataFolderLockFileName = "filestore.lock";

/** flock(2) operations; the same values on Linux, macOS and the BSDs. */
const lockExclusive = 2;
const lockNonBlocking = 4;

/** A data folder that cannot be used: the message names the folder and says what to do. */
export class DataFolderError extends Error {
  override name = "DataFolderError";
}

export interface DataFolderLock {
  readonly folder: string;
  /** Gives the lock up (the process ending does the same). */
  release(): void;
}

/**
 * Locks `folder` (created first when `create` is set) or throws DataFolderError: in use by
 * another process (naming its PID when the lock file says), not a folder, permission denied, ...
 */
export function lockDataFolder(folder: string, options: { create: boolean }): DataFolderLock {
  assert(folder.length > 0, "the data folder setting is validated non-empty");
  prepareFolder(folder, options.create);
  const lockPath = path.join(folder, dataFolderLockFileName);
  let fd: number;
  try {
    fd = fs.openSync(lockPath, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
  } catch (error) {
    throw new DataFolderError(`data folder ${folder}: cannot open its lock file: ${systemErrorText(error, lockPath)}`);
  }
  const failure = tryLock(fd);
  if (failure !== null) {
    fs.closeSync(fd);
    if (failure === "held") throw inUseError(folder, lockPath);
    throw new DataFolderError(`data folder ${folder}: cannot lock ${lockPath}: ${failure}`);
  }
  writeHolderPid(fd);
  let released = false;
  return {
    folder,
    release: () => {
      if (released) return;
      released = true;
      fs.closeSync(fd);
    },
  };
}

function prepareFolder(folder: string, create: boolean): void {
  let problem: string | null = null;
  try {
    if (create) fs.mkdirSync(folder, { recursive: true });
    if (!fs.statSync(folder).isDirectory()) problem = "exists and is not a folder";
  } catch (error) {
    problem = folderProblem(error, folder);
  }
  if (problem !== null) throw new DataFolderError(`data folder ${folder}: ${problem}`);
}

function folderProblem(error: unknown, folder: string): string {
  const code = systemErrorCode(error);
  if (code === "EEXIST") return "exists and is not a folder";
  if (code === "ENOENT" && !fs.existsSync(folder)) return "no such folder";
  return systemErrorText(error, folder);
}

function inUseError(folder: string, lockPath: string): DataFolderError {
  const pid = holderPid(lockPath);
  const holder = pid === null ? "" : ` (pid ${pid})`;
  return new DataFolderError(
    `data folder ${folder} is in use by another filestore process${holder}; stop it or use another --data`,
  );
}

/** The PID the holder wrote, or null (it may not have written it yet, or the file is unreadable). */
function holderPid(lockPath: string): number | null {
  try {
    const text = fs.readFileSync(lockPath, "utf8").trim();
    return /^\d{1,10}$/.test(text) ? Number(text) : null;
  } catch {
    return null;
  }
}

function writeHolderPid(fd: number): void {
  const text = `${process.pid}\n`;
  fs.ftruncateSync(fd, 0);
  const written = fs.writeSync(fd, text, 0);
  assert(written === text.length, "short write of a few bytes to the lock file");
}

interface LockLibrary {
  flock(fd: number, operation: number): number;
  errno(): number;
  /** errno of a lock held by another open file (EWOULDBLOCK). */
  wouldBlockErrno: number;
}

/** C library names, errno accessor and EWOULDBLOCK per platform. */
const platforms: Readonly<Record<string, { libraries: string[]; errnoSymbol: string; wouldBlockErrno: number }>> = {
  linux: { libraries: ["libc.so.6", "libc.so"], errnoSymbol: "__errno_location", wouldBlockErrno: 11 },
  darwin: { libraries: ["libc.dylib", "/usr/lib/libSystem.B.dylib"], errnoSymbol: "__error", wouldBlockErrno: 35 },
  freebsd: { libraries: ["libc.so.7"], errnoSymbol: "__error", wouldBlockErrno: 35 },
};

let lockLibrary: LockLibrary | null = null;

/** null when locked; "held" when another open file holds it; otherwise why locking failed. */
function tryLock(fd: number): "held" | string | null {
  let library: LockLibrary;
  try {
    library = lockLibrary ??= loadLockLibrary();
  } catch (error) {
    return `flock is not available here (${(error as Error).message})`;
  }
  if (library.flock(fd, lockExclusive | lockNonBlocking) === 0) return null;
  const errno = library.errno();
  return errno === library.wouldBlockErrno ? "held" : `flock failed with errno ${errno}`;
}

function loadLockLibrary(): LockLibrary {
  const platform = platforms[process.platform];
  if (platform === undefined) throw new Error(`no flock binding for ${process.platform}`);
  const failures: string[] = [];
  for (const name of platform.libraries) {
    try {
      const library = dlopen(name, {
        flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
        [platform.errnoSymbol]: { args: [], returns: FFIType.ptr },
      });
      const errnoLocation = library.symbols[platform.errnoSymbol] as () => Pointer | null;
      return {
        flock: (fd, operation) => library.symbols.flock(fd, operation) as number,
        // errno is thread-local: read right after the failed call, on the same thread.
        errno: () => {
          const location = errnoLocation();
          assert(location !== null, "the C library's errno location is never null");
          return read.i32(location, 0);
        },
        wouldBlockErrno: platform.wouldBlockErrno,
      };
    } catch (error) {
      failures.push(`${name}: ${(error as Error).message}`);
    }
  }
  throw new Error(failures.join("; "));
}
