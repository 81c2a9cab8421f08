/** "host:port" or "[ipv6]:port" -> parts, with a typed error for anything else. */
import { FileStoreError } from "./errors";

export interface Address {
  host: string;
  port: number;
}

const portMax = 65_535;

export function parseAddress(text: string): Address {
  const match = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text.trim());
  const port = match === null ? NaN : Number(match[3]);
  if (match === null || port < 1 || port > portMax) {
    throw new FileStoreError("INVALID_REQUEST", `address "${text}" is not host:port`);
  }
  return { host: match[1] ?? match[2]!, port };
}
