/** A TCP endpoint written HOST:PORT, or [IPV6]:PORT. Port 0 asks the OS for a free port. */
export interface HostPort {
  host: string;
  port: number;
}

/** Highest TCP port number. */
const portNumberMax = 65535;

/** Parses HOST:PORT; returns a reason string instead of throwing so callers can name the field. */
export function parseHostPort(text: string): HostPort | string {
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  const plain = /^([^:\s]+):(\d+)$/.exec(text);
  const match = bracketed ?? plain;
  if (match === null) return `expected HOST:PORT (or [IPV6]:PORT), got "${text}"`;
  const port = Number(match[2]);
  if (!Number.isSafeInteger(port) || port > portNumberMax) {
    return `port must be between 0 and ${portNumberMax}, got ${match[2]}`;
  }
  return { host: match[1], port };
}

/** Formats an endpoint back to HOST:PORT, bracketing IPv6 hosts. */
export function formatHostPort(address: HostPort): string {
  return address.host.includes(":") ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
