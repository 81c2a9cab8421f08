/**
 * A configuration value that cannot be used. It always names the setting and where the value
 * came from, so an operator can fix the right line of the right file at once.
 */
export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(
    /** The setting's name as written in the TOML file and as a flag (e.g. "frame-size-bytes-max"). */
    readonly field: string,
    /** "--flag", the config file's path, or "default". */
    readonly source: string,
    reason: string,
  ) {
    super(`config: ${field} (from ${source}): ${reason}`);
  }
}
