/**
 * The effective configuration as flat log fields, one per setting of the table (settings.ts),
 * named as the setting with `_` for `-` (`batch_delay_ms=2`), values as they would be written in
 * the TOML file; a setting left unset (an optional one) is left out. A node logs it when it starts.
 */
import type { LogFields } from "../util/logger.ts";
import { formatHostPort, type HostPort } from "./address.ts";
import { settings, type FileStoreConfig, type PeerAddress } from "./settings.ts";

export function configFields(config: FileStoreConfig): LogFields {
  const fields: Record<string, string | number> = {};
  for (const setting of settings) {
    const value = config[setting.property];
    if (value === undefined) continue;
    fields[setting.name.replaceAll("-", "_")] = fieldValue(setting.type.kind, value);
  }
  return fields;
}

function fieldValue(kind: string, value: unknown): string | number {
  if (kind === "address" || kind === "optional-address") return formatHostPort(value as HostPort);
  if (kind === "address-list") return (value as PeerAddress[]).map(formatPeer).join(",");
  if (kind === "join" && typeof value === "object") return formatHostPort(value as HostPort);
  return value as string | number;
}

function formatPeer(peer: PeerAddress): string {
  return peer.name === undefined ? formatHostPort(peer) : `${peer.name}=${formatHostPort(peer)}`;
}
