/** Socket failures in words, the same under Bun and Node (each runtime words its errors its own way). */

/** Words for the system errors a connection meets; anything else keeps its own message. */
const socketErrorWords: Record<string, string> = {
  ECONNREFUSED: "connection refused (nothing listens on that port)",
  ECONNRESET: "connection reset by the server",
  EPIPE: "connection reset by the server",
  ETIMEDOUT: "the network timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ENOTFOUND: "host name not found",
  EAI_AGAIN: "host name lookup failed",
  EADDRNOTAVAIL: "address not available",
};

/** One phrase for a socket failure, the same under both runtimes (they word errors differently). */
export function describeSocketError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && Object.hasOwn(socketErrorWords, code)) return socketErrorWords[code]!;
  return error instanceof Error ? error.message : String(error);
}
