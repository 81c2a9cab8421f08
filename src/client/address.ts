/**
 * "host:port" or "[ipv6]:port" -> parts. Anything else is INVALID_REQUEST with `argument`
 * "address" and a message saying what is missing, so a caller (the CLI) can treat it as a
 * usage error rather than as a server's refusal.
 */
import { invalidArgument, shown } from "./option_checks.ts";

export interface Address {
  host: string;
  port: number;
}

const portMax = 65_535;
const example = "e.g. 127.0.0.1:7400 or [::1]:7400";

export function parseAddress(text: unknown): Address {
  if (typeof text !== "string") {
    throw invalidArgument("address", `address must be a string HOST:PORT (${example}); got ${shown(text)}`);
  }
  const match = /^(?:\[([^\]]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(text.trim());
  if (match === null) {
    const reason = /^(\[[^\]]+\]|[^:\s]+)$/.test(text.trim()) ? "has no port" : "is not HOST:PORT";
    throw invalidArgument("address", `address ${shown(text)} ${reason}: give HOST:PORT (${example})`);
  }
  const port = Number(match[3]);
  if (port < 1 || port > portMax) {
    throw invalidArgument("address", `address ${shown(text)}: port must be from 1 to ${portMax}`);
  }
  return { host: match[1] ?? match[2]!, port };
}

/** The address as HOST:PORT again, brackets around an IPv6 host. */
export function formatAddress(address: Address): string {
  return address.host.includes(":") ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
