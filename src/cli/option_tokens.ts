/**
 * Looks at a command's arguments before util.parseArgs does, so that its mistakes read well:
 * an unknown option is named with the closest known one (`unknown option --srever (did you
 * mean --server?)`), and a value that starts with "-" is taken as the value of the option
 * before it (`--limit -1` is `--limit=-1`, then checked like any value) instead of parseArgs'
 * "argument is ambiguous"; an option whose value is optional (`--join`), given alone (last, or
 * followed by another option), is `--join=true`. Everything after `--` is left alone.
 */
import type { CommandSpec } from "./commands.ts";
import { UsageError } from "./usage_error.ts";

/** A suggestion further than this many edits from what was typed would be a guess, not a typo. */
const suggestionDistanceMax = 2;

/** The arguments with every `--name VALUE` (VALUE starting with "-") rewritten as `--name=VALUE`. */
export function normaliseOptionTokens(command: CommandSpec, args: readonly string[]): string[] {
  const normalised: string[] = [];
  for (let index = 0; index < args.length; index++) {
    const token = args[index];
    if (token === "--") {
      normalised.push(...args.slice(index));
      break;
    }
    const name = optionNameOf(command, token);
    if (name === null) {
      normalised.push(token);
      continue;
    }
    const next = args[index + 1];
    const alone = next === undefined || (next.startsWith("-") && next !== "-");
    if (command.options[name].optionalValue === true && !token.includes("=") && alone) {
      normalised.push(`--${name}=true`);
      continue;
    }
    const takesValue = command.options[name].type === "string" && !token.includes("=") && !isShortCluster(token);
    const nextLooksLikeOption = next !== undefined && next.startsWith("-") && next !== "-";
    const nextIsValue = nextLooksLikeOption && optionNameOf(command, next, false) === null;
    if (takesValue && nextIsValue) {
      normalised.push(`--${name}=${next}`);
      index++;
    } else {
      normalised.push(token);
    }
  }
  return normalised;
}

/**
 * The long name of the option `token` spells (`--name`, `--name=VALUE`, `-x`, `-xVALUE`), null
 * when it is no option (a positional or `-`). An option the command does not know is a
 * UsageError when `strict`, else null.
 */
function optionNameOf(command: CommandSpec, token: string, strict = true): string | null {
  if (!token.startsWith("-") || token === "-") return null;
  if (token.startsWith("--")) {
    const name = token.slice(2).split("=")[0];
    if (Object.hasOwn(command.options, name)) return name;
    if (strict) throw unknownOption(command, `--${name}`, name);
    return null;
  }
  const short = token[1];
  const found = Object.entries(command.options).find(([, option]) => option.short === short);
  if (found !== undefined) return found[0];
  if (strict) throw unknownOption(command, `-${short}`, null);
  return null;
}

/** `-sHOST:1` carries its value in the same token. */
function isShortCluster(token: string): boolean {
  return !token.startsWith("--") && token.length > 2;
}

function unknownOption(command: CommandSpec, spelled: string, name: string | null): UsageError {
  const suggestion = name === null ? null : closestOption(Object.keys(command.options), name);
  let hint = "";
  if (suggestion !== null) hint = ` (did you mean --${suggestion}?)`;
  else if (/^-\d/.test(spelled)) hint = ` (a value starting with "-" goes after "--", as in -- ${spelled})`;
  const message = `${command.name}: unknown option ${spelled}${hint} (see \`filestore help ${command.name}\`)`;
  return new UsageError(message, command.name);
}

/** The known name fewest edits away from `typed`, when it is close enough to be a typo. */
function closestOption(known: readonly string[], typed: string): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const name of known) {
    const distance = editDistance(name, typed);
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  // One edit in a short name already changes a third of it; allow two only in longer ones.
  const allowed = Math.min(suggestionDistanceMax, Math.max(1, Math.floor(typed.length / 3)));
  return bestDistance <= allowed ? best : null;
}

/**
 * Edits (insert, delete, replace, swap of two neighbours) that turn `a` into `b`: the optimal
 * string alignment distance, so a swapped pair of letters (`srever`) counts as one typo.
 */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const columns = b.length + 1;
  const table = new Array<number>(rows * columns).fill(0);
  const at = (row: number, column: number) => table[row * columns + column];
  for (let row = 0; row < rows; row++) table[row * columns] = row;
  for (let column = 0; column < columns; column++) table[column] = column;
  for (let row = 1; row < rows; row++) {
    for (let column = 1; column < columns; column++) {
      const cost = a[row - 1] === b[column - 1] ? 0 : 1;
      let best = Math.min(at(row - 1, column) + 1, at(row, column - 1) + 1, at(row - 1, column - 1) + cost);
      const swapped = row > 1 && column > 1 && a[row - 1] === b[column - 2] && a[row - 2] === b[column - 1];
      if (swapped) best = Math.min(best, at(row - 2, column - 2) + 1);
      table[row * columns + column] = best;
    }
  }
  return at(rows - 1, columns - 1);
}
