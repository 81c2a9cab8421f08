/**
 * Turns raw setting values (strings from flags, TOML values from the file, defaults from the
 * table) into typed values, rejecting anything outside the table's type and bounds with a
 * ConfigError that names the setting and the value's source.
 */
import { parseHostPort, type HostPort } from "./address.ts";
import { ConfigError } from "./config_error.ts";
import type { PeerAddress, Setting } from "./settings.ts";

type SettingValue = string | number | boolean | HostPort | PeerAddress[] | undefined;

/** Longest accepted path or string setting; longer is surely a mistake (Linux PATH_MAX is 4096). */
const textLengthMax = 4096;

export function validateSetting(setting: Setting, raw: unknown, source: string): SettingValue {
  const fail = (reason: string): never => {
    throw new ConfigError(setting.name, source, reason);
  };
  const type = setting.type;
  switch (type.kind) {
    case "address":
      return toAddress(expectString(raw, fail), fail);
    case "address-list":
      return toAddressList(raw, fail);
    case "optional-address": {
      const text = expectString(raw, fail);
      return text === "" ? undefined : toAddress(text, fail);
    }
    case "path":
    case "string":
      return toText(raw, type.kind === "path", fail);
    case "enum": {
      const text = expectString(raw, fail);
      if (!type.choices.includes(text)) fail(`must be one of ${type.choices.join(", ")}; got "${text}"`);
      return text;
    }
    case "integer":
      return toInteger(raw, type.min, type.max, fail);
    case "boolean":
      return toBoolean(raw, fail);
    case "join":
      return toJoin(raw, fail);
  }
}

type Fail = (reason: string) => never;

function expectString(raw: unknown, fail: Fail): string {
  if (typeof raw !== "string") fail(`must be a string, got ${describe(raw)}`);
  return raw as string;
}

function toAddress(text: string, fail: Fail): HostPort {
  const parsed = parseHostPort(text);
  if (typeof parsed === "string") fail(parsed);
  return parsed as HostPort;
}

/** A TOML array of strings, or a comma-separated string from a flag; each HOST:PORT or NAME=HOST:PORT. */
function toAddressList(raw: unknown, fail: Fail): PeerAddress[] {
  let items: unknown[];
  if (Array.isArray(raw)) items = raw;
  else if (typeof raw === "string") items = raw === "" ? [] : raw.split(",").map((part) => part.trim());
  else return fail(`must be a list of "HOST:PORT" strings, got ${describe(raw)}`);
  return items.map((item) => toNamedAddress(expectString(item, fail), fail));
}

/** NAME=HOST:PORT names a node (NAME: letters, digits, "-" or "_"); a bare HOST:PORT has no name. */
function toNamedAddress(text: string, fail: Fail): PeerAddress {
  const named = /^([A-Za-z0-9_-]+)=(.*)$/.exec(text);
  if (named === null) return toAddress(text, fail);
  return { name: named[1], ...toAddress(named[2].trim(), fail) };
}

function toText(raw: unknown, nonEmpty: boolean, fail: Fail): string {
  const text = expectString(raw, fail);
  if (nonEmpty && text.length === 0) fail("must not be empty");
  if (text.length > textLengthMax) fail(`longer than ${textLengthMax} characters`);
  if (text.includes("\0")) fail("must not contain a NUL character");
  return text;
}

/** Accepts a TOML integer or a string of decimal digits (flags); nothing fractional or signed. */
function toInteger(raw: unknown, min: number, max: number, fail: Fail): number {
  let value: number;
  if (typeof raw === "number") value = raw;
  else if (typeof raw === "bigint") value = Number(raw);
  else if (typeof raw === "string" && /^\d+$/.test(raw)) value = Number(raw);
  else return fail(`must be a whole number, got ${describe(raw)}`);
  if (!Number.isSafeInteger(value)) fail(`must be a whole number, got ${describe(raw)}`);
  if (value < min) fail(`must be at least ${min}, got ${value}`);
  if (value > max) fail(`must be at most ${max}, got ${value}`);
  return value;
}

/** A TOML boolean, or "true"/"false" from a flag (a boolean flag given without a value is "true"). */
function toBoolean(raw: unknown, fail: Fail): boolean {
  if (raw === true || raw === "true") return true;
  if (raw === false || raw === "false") return false;
  return fail(`must be true or false, got ${describe(raw)}`);
}

/** true/false as toBoolean, or the HOST:PORT of a member's peer port (a port one can dial). */
function toJoin(raw: unknown, fail: Fail): boolean | HostPort {
  if (raw === true || raw === "true") return true;
  if (raw === false || raw === "false") return false;
  const expected = "must be true, false or HOST:PORT (the peer port of a cluster member)";
  if (typeof raw !== "string") return fail(`${expected}, got ${describe(raw)}`);
  const parsed = parseHostPort(raw);
  if (typeof parsed === "string" || parsed.port === 0) return fail(`${expected}, got ${describe(raw)}`);
  return parsed;
}

function describe(raw: unknown): string {
  if (typeof raw === "string") return `"${raw}"`;
  if (Array.isArray(raw)) return "a list";
  if (raw === null || raw === undefined) return "nothing";
  return typeof raw === "object" ? "a table" : `${typeof raw} ${String(raw)}`;
}
