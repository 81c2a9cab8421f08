/**
 * Builds a node's configuration. Precedence: command-line flags > TOML file (`--config`) >
 * defaults of the settings table. Unknown keys in the file are errors, not silently ignored:
 * a misspelt `lisen = ...` must not leave the node on its default address.
 */
import { parse as parseToml, TomlError } from "smol-toml";
import { assert } from "../util/assert.ts";
import { ConfigError } from "./config_error.ts";
import { settingNamed, settings, type FileStoreConfig } from "./settings.ts";
import { validateSetting } from "./validate.ts";

interface ConfigSources {
  /** Path of a TOML file; read at run time. */
  configPath?: string;
  /** Flag values by setting name (e.g. { listen: "127.0.0.1:0" }); undefined means not given. */
  flags?: Record<string, string | undefined>;
}

export async function loadConfig(sources: ConfigSources = {}): Promise<FileStoreConfig> {
  const file = sources.configPath === undefined ? {} : await readConfigFile(sources.configPath);
  return resolveConfig(file, sources.configPath ?? "config file", sources.flags ?? {});
}

/** Merges already-parsed file values and flag values over the defaults, validating each. */
export function resolveConfig(
  file: Record<string, unknown>,
  fileLabel: string,
  flags: Record<string, string | undefined>,
): FileStoreConfig {
  for (const key of Object.keys(file)) {
    if (settingNamed(key) === undefined) throw new ConfigError(key, fileLabel, "unknown setting");
  }
  for (const key of Object.keys(flags)) {
    assert(settingNamed(key) !== undefined, `flag for unknown setting ${key}`);
  }
  const config: Record<string, unknown> = {};
  for (const setting of settings) {
    const flagValue = flags[setting.name];
    if (flagValue !== undefined) {
      config[setting.property] = validateSetting(setting, flagValue, `--${setting.name}`);
    } else if (Object.hasOwn(file, setting.name)) {
      config[setting.property] = validateSetting(setting, file[setting.name], fileLabel);
    } else {
      config[setting.property] = validateSetting(setting, setting.default, "default");
    }
  }
  return config as unknown as FileStoreConfig;
}

/** Reads and parses a TOML file; a missing file or bad TOML is a ConfigError naming the file. */
async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  const file = Bun.file(path);
  if (!(await file.exists())) throw new ConfigError("config", path, "file not found");
  const text = await file.text();
  let parsed: unknown;
  try {
    parsed = Bun.TOML.parse(text);
  } catch (error) {
    const reason = (error as Error).message.replace(/^TOML Parse error: /, "");
    throw new ConfigError("config", path, `not valid TOML${tomlErrorPosition(text)}: ${reason}`);
  }
  assert(typeof parsed === "object" && parsed !== null, "TOML parser returned a non-table");
  return parsed as Record<string, unknown>;
}

/**
 * " at line L, column C" of the first TOML error in `text`, or "" when it cannot be found. Bun's
 * parser says what is wrong but not where; smol-toml, a strict TOML 1.0 parser, says where.
 * It runs only on text Bun already refused, so it never decides what a valid file means.
 */
function tomlErrorPosition(text: string): string {
  try {
    parseToml(text);
  } catch (error) {
    if (error instanceof TomlError) return ` at line ${error.line}, column ${error.column}`;
  }
  return "";
}

/** The defaults alone, e.g. for tests and for documentation. */
export function defaultConfig(): FileStoreConfig {
  return resolveConfig({}, "default", {});
}
