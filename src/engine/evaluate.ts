/**
 * Evaluation of a validated command against the current state: which keys change (effects)
 * and what the caller is told. Pure apart from reading the state through StateView; the
 * engine then writes the effects under one new revision, or none when nothing changes.
 */
import { bytesEqual } from "./bytes.ts";
import { keyToString } from "./key_string.ts";
import type { Command, CommandResult } from "./types.ts";

type SimpleCommand = Exclude<Command, { op: "batch" }>;

export interface StateView {
  /** The live value of a key, or null when absent. */
  valueOf(key: Uint8Array): Uint8Array | null;
  /** The version of a key, or 0 when absent. */
  versionOf(key: Uint8Array): number;
}

interface Effect {
  keyString: string;
  key: Uint8Array;
  /** null deletes the key. */
  value: Uint8Array | null;
}

interface Outcome {
  op: SimpleCommand["op"];
  /** This command changed state (put, delete of a present key, successful cas). */
  wrote: boolean;
  /** cas only: whether its expectation held. */
  succeeded: boolean;
  /** The key's version before the command (its batch), for a cas that may be reported failed (0 otherwise: not reported). */
  versionBefore: number;
}

/** Plain data, no closures: evaluation runs for every write, so it allocates as little as it can. */
export interface Evaluation {
  effects: Effect[];
  /** One per simple command, in order (exactly one when the command is not a batch). */
  outcomes: Outcome[];
  allSucceeded: boolean;
  isBatch: boolean;
}

export function evaluateCommand(command: Command, state: StateView): Evaluation {
  const effects: Effect[] = [];
  if (command.op !== "batch") {
    // Only a batch can read its own earlier writes; a single command needs no overlay.
    const outcome = evaluateSimple(command, state, null, effects);
    if (!outcome.succeeded) effects.length = 0;
    return { effects, outcomes: [outcome], allSucceeded: outcome.succeeded, isBatch: false };
  }
  const pending = new Map<string, Uint8Array | null>();
  const outcomes: Outcome[] = [];
  let allSucceeded = true;
  for (const simple of command.commands) {
    const outcome = evaluateSimple(simple, state, pending, effects);
    outcomes.push(outcome);
    if (!outcome.succeeded) allSucceeded = false;
  }
  if (!allSucceeded) effects.length = 0;
  return { effects, outcomes, allSucceeded, isBatch: true };
}

/** The caller's result once `writeRevision` (a new one when effects exist) is known. */
export function evaluationResult(evaluation: Evaluation, writeRevision: number): CommandResult {
  const { outcomes, allSucceeded } = evaluation;
  if (!evaluation.isBatch) return resultOf(outcomes[0]!, allSucceeded, writeRevision);
  const results = outcomes.map((outcome) => resultOf(outcome, allSucceeded, writeRevision));
  return { op: "batch", succeeded: allSucceeded, version: writeRevision, results };
}

/**
 * Reads of the state are kept to what each operation needs: a put reads nothing (reading the
 * current value meant a log read and a CRC check of its record on every overwrite), a delete
 * reads whether the key exists, a cas its value, and a failed cas its version.
 */
function evaluateSimple(
  command: SimpleCommand,
  state: StateView,
  pending: Map<string, Uint8Array | null> | null,
  effects: Effect[],
): Outcome {
  const keyString = keyToString(command.key);
  const pendingHere = pending?.has(keyString) === true;
  let value: Uint8Array | null;
  if (command.op === "put") {
    value = command.value;
  } else if (command.op === "delete") {
    const exists = pendingHere ? pending!.get(keyString) !== null : state.versionOf(command.key) !== 0;
    if (!exists) return { op: "delete", wrote: false, succeeded: true, versionBefore: 0 };
    value = null;
  } else {
    const current = pendingHere ? (pending!.get(keyString) ?? null) : state.valueOf(command.key);
    const holds = command.expected === null ? current === null : current !== null && bytesEqual(current, command.expected);
    if (!holds) return { op: "cas", wrote: false, succeeded: false, versionBefore: state.versionOf(command.key) };
    value = command.value;
  }
  pending?.set(keyString, value);
  effects.push({ keyString, key: command.key, value });
  // In a batch, a cas that held is reported as failed when another operation fails: with the
  // key's version, as any failed cas is.
  if (pending !== null && command.op === "cas") return { op: "cas", wrote: true, succeeded: true, versionBefore: state.versionOf(command.key) };
  return writtenOutcomes[command.op];
}

/** The outcome of a command that wrote, shared: outcomes are never changed after evaluation. */
const writtenOutcomes: Readonly<Record<SimpleCommand["op"], Outcome>> = {
  put: { op: "put", wrote: true, succeeded: true, versionBefore: 0 },
  delete: { op: "delete", wrote: true, succeeded: true, versionBefore: 0 },
  cas: { op: "cas", wrote: true, succeeded: true, versionBefore: 0 },
};

function resultOf(outcome: Outcome, applied: boolean, writeRevision: number): CommandResult {
  const wrote = applied && outcome.wrote;
  switch (outcome.op) {
    case "put":
      return { op: "put", version: writeRevision };
    case "delete":
      return { op: "delete", existed: wrote, version: writeRevision };
    case "cas":
      return { op: "cas", succeeded: wrote, version: wrote ? writeRevision : outcome.versionBefore };
  }
}
