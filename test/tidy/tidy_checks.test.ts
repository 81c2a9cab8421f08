/**
 * The tidy checks on small made-up files: each rule catches what it is for and lets pass what
 * it is not for, so a check that silently stopped working would fail here, not go quiet.
 */
import { describe, expect, test } from "bun:test";
import { functionLengthOffenses, functionLinesMax, functionSpans } from "./function_length.ts";
import { headCommentOffenses } from "./head_comment.ts";
import { importRuleOffenses } from "./import_rules.ts";
import { lineColumnsMax, looseBaselineOffenses, newLongLineOffenses } from "./line_length.ts";
import { failOnOffenses, type Offense } from "./offense.ts";
import { pureModuleOffenses } from "./pure_modules.ts";
import { SourceFile } from "./source_tree.ts";
import { unusedExportOffenses } from "./unused_exports.ts";

const file = (path: string, text: string) => new SourceFile(path, text);
const places = (offenses: Offense[]) => offenses.map((offense) => `${offense.path}:${offense.line}`).sort();

/** A function whose signature and closing brace are `lines` lines apart, braces and all. */
function functionOf(name: string, lines: number, body = "  step();"): string {
  return [`function ${name}() {`, ...Array.from({ length: lines - 2 }, () => body), "}"].join("\n");
}

describe("function length", () => {
  test("a function of the limit passes; one line more is reported with its name and line", () => {
    const text = `${functionOf("short", functionLinesMax)}\n${functionOf("long", functionLinesMax + 1)}`;
    const source = file("src/a.ts", text);
    const offenses = functionLengthOffenses([source], []);
    expect(places(offenses)).toEqual([`src/a.ts:${functionLinesMax + 1}`]);
    expect(offenses[0]!.message).toContain(`long is ${functionLinesMax + 1} lines`);
  });

  test("braces in strings, templates, regular expressions and comments do not end a function", () => {
    const source = [
      "function tricky() {", '  const a = "}";', '  const b = `}${"{"}`;', "  const c = /}/; // }", "  /* } */", "}",
    ];
    expect(functionSpans(file("src/a.ts", source.join("\n")))).toEqual([{ name: "tricky", line: 1, lines: 6 }]);
  });

  test("methods, arrow functions and test callbacks are named as a reader would look for them", () => {
    const source = file("test/a.ts", [
      "class Queue { push(item) { return () => item; } }",
      "const handler = async (x) => x;",
      'describe("queue", () => { it("pushes", function () {}); });',
    ].join("\n"));
    expect(functionSpans(source).map((span) => span.name)).toEqual([
      "Queue.push", "<anonymous in Queue.push>", "handler", 'describe("queue")', 'it("pushes")',
    ]);
  });

  test("a pending split is allowed while it is long, and reported once it is not", () => {
    const long = file("src/a.ts", functionOf("long", functionLinesMax + 5));
    expect(functionLengthOffenses([long], [{ path: "src/a.ts", name: "long" }])).toEqual([]);
    const split = file("src/a.ts", functionOf("long", 10));
    const stale = functionLengthOffenses([split], [{ path: "src/a.ts", name: "long" }]);
    expect(stale[0]!.message).toContain("remove its entry");
  });
});

describe("line length", () => {
  const longLine = "x".repeat(lineColumnsMax + 1);

  test("a line over the limit is reported unless the file's baseline allows it", () => {
    const source = file("src/a.ts", `${"x".repeat(lineColumnsMax)}\n${longLine}`);
    expect(places(newLongLineOffenses([source], {}))).toEqual(["src/a.ts:2"]);
    expect(newLongLineOffenses([source], { "src/a.ts": 1 })).toEqual([]);
  });

  test("characters are counted, not UTF-16 units", () => {
    expect(newLongLineOffenses([file("src/a.ts", "─".repeat(lineColumnsMax))], {})).toEqual([]);
  });

  test("a baseline higher than the file needs, or naming a file that is gone, is reported", () => {
    const source = file("src/a.ts", longLine);
    expect(looseBaselineOffenses([source], { "src/a.ts": 1 })).toEqual([]);
    const loose = looseBaselineOffenses([source], { "src/a.ts": 2, "src/gone.ts": 1 });
    expect(places(loose)).toEqual(["src/a.ts:1", "src/gone.ts:1"]);
  });
});

describe("import directions", () => {
  test("the log and the engine import neither the cluster nor the network", () => {
    const offenses = importRuleOffenses([
      file("src/log/a.ts", 'import { x } from "../cluster/b.ts";\nimport type { Y } from "../net/c.ts";'),
      file("src/engine/a.ts", 'import { z } from "../log/d.ts";\nexport { w } from "../net/c.ts";'),
    ]);
    expect(places(offenses)).toEqual(["src/engine/a.ts:2", "src/log/a.ts:1", "src/log/a.ts:2"]);
  });

  test("the server may use the engine's types and data limits but not its code", () => {
    const offenses = importRuleOffenses([
      file("src/net/a.ts", [
        'import type { Command } from "../engine/types";',
        'import { apply } from "../engine/e";',
        'import { keySizeBytesMax } from "../engine/limits.ts";',
      ].join("\n")),
    ]);
    expect(places(offenses)).toEqual(["src/net/a.ts:2"]);
  });

  test("the client takes from the cluster its placement rules only", () => {
    const offenses = importRuleOffenses([
      file("src/client/a.ts", [
        'import { shardOfKey } from "../cluster/placement/locate.ts";',
        'import { RawNode } from "../cluster/raft/raw_node.ts";',
        'import { ReplicatedService } from "../cluster/replicated_service.ts";',
      ].join("\n")),
    ]);
    expect(places(offenses)).toEqual(["src/client/a.ts:2", "src/client/a.ts:3"]);
  });

  test("the wire helpers know neither port; the cluster takes from the client port its service interface only", () => {
    const offenses = importRuleOffenses([
      file("src/wire/a.ts", [
        'import { x } from "../net/b.ts";',
        'import { y } from "../cluster/c.ts";',
        'import { Status } from "../../schemas/generated/x";',
      ].join("\n")),
      file("src/cluster/transport/d.ts", [
        'import { FrameAssembler } from "../../wire/frame_assembler.ts";',
        'import { OutputBuffer } from "../../net/output_buffer.ts";',
      ].join("\n")),
      file("src/cluster/e.ts", [
        'import { ServiceError } from "../net/key_value_service.ts";',
        'import { sessionKey } from "../net/session_outcomes.ts";',
        'import { startServer } from "../net/server.ts";',
      ].join("\n")),
    ]);
    const expected = ["src/cluster/e.ts:3", "src/cluster/transport/d.ts:2", "src/wire/a.ts:1", "src/wire/a.ts:2"];
    expect(places(offenses)).toEqual(expected);
  });

  test("only the two edges use the generated wire code, and nothing shipped imports tests", () => {
    const offenses = importRuleOffenses([
      file("src/cluster/transport/a.ts", 'import { E } from "../../../schemas/generated/x";'),
      file("src/cluster/b.ts", 'import { E } from "../../schemas/generated/x";'),
      file("src/cli/c.ts", 'const h = await import("../../test/helper.ts");'),
    ]);
    expect(places(offenses)).toEqual(["src/cli/c.ts:1", "src/cluster/b.ts:1"]);
  });
});

describe("pure modules", () => {
  test("a clock, randomness or the runtime in a pure folder is reported, names that only look alike are not", () => {
    const source = file("src/cluster/raft/a.ts", [
      'import { readFileSync } from "node:fs";',
      'import type { Socket } from "bun";',
      "const started = Date.now();",
      "const pick = Math.random();",
      "const fine = { Date: 1, performance: 2 }.Date + record.performance;",
      "setTimeout(() => {}, 1);",
    ].join("\n"));
    expect(pureModuleOffenses([source]).map((offense) => offense.line)).toEqual([1, 3, 4, 6]);
  });

  test("what a pure module imports at run time is held to the same rule; type imports are not followed", () => {
    const offenses = pureModuleOffenses([
      file("src/cluster/placement/ring.ts", [
        'import { hash } from "../../util/hash.ts";', 'import type { T } from "../../util/timed.ts";',
      ].join("\n")),
      file("src/util/hash.ts", "export const hash = () => performance.now();"),
      file("src/util/timed.ts", "export type T = number; export const now = () => Date.now();"),
    ]);
    expect(places(offenses)).toEqual(["src/util/hash.ts:1"]);
    expect(offenses[0]!.message).toContain("through src/cluster/placement/ring.ts");
  });
});

describe("unused exports", () => {
  test("an export nothing imports is reported; named, namespace and dynamic imports count", () => {
    const offenses = unusedExportOffenses([
      file("src/a.ts", "export const used = 1;\nexport const unused = 2;\nexport type Shape = { a: number };"),
      file("src/b.ts", "export function viaNamespace() {}\nexport function other() {}"),
      file("src/c.ts", "export const dynamic = 1;\nexport const notTaken = 2;"),
      file("test/t.ts", [
        'import { used, type Shape } from "../src/a.ts";',
        'import * as b from "../src/b";',
        "b.viaNamespace();",
        'const { dynamic } = await import("../src/c.ts");',
      ].join("\n")),
    ], []);
    expect(places(offenses)).toEqual(["src/a.ts:2", "src/b.ts:2", "src/c.ts:2"]);
  });

  test("re-exports count when their name is used, and the API entry point's names always count", () => {
    const offenses = unusedExportOffenses([
      file("src/lib/index.ts", 'export { a, b } from "./impl.ts";\nexport * from "./types.ts";'),
      file("src/lib/impl.ts", "export const a = 1;\nexport const b = 2;"),
      file("src/lib/types.ts", "export type T = number;\nexport type U = string;"),
      file("src/api.ts", 'export { b } from "./lib/index.ts";\nexport const v = 1;'),
      file("bench/x.ts", 'import { a, type T } from "../src/lib/index.ts";'),
    ], ["src/api.ts"]);
    expect(places(offenses)).toEqual(["src/lib/types.ts:2"]);
  });
});

describe("head comments", () => {
  test("a file opens with a comment, after a shebang if it has one", () => {
    const offenses = headCommentOffenses([
      file("src/a.ts", "/** What a is for. */\nexport {};"),
      file("src/b.ts", "#!/usr/bin/env bun\n// What b is for.\n"),
      file("src/c.ts", 'import { a } from "./a.ts";\n'),
      file("test/d.test.ts", "\n/** Too late. */"),
    ]);
    expect(places(offenses)).toEqual(["src/c.ts:1", "test/d.test.ts:1"]);
  });
});

test("a failing check lists every offense with its place and advice in one error", () => {
  const failure = () => failOnOffenses("things", [
    { path: "src/b.ts", line: 3, message: "fix b" },
    { path: "src/a.ts", line: 9, message: "fix a" },
  ]);
  expect(failure).toThrow("tidy: things (2):\n  src/a.ts:9: fix a\n  src/b.ts:3: fix b");
  expect(() => failOnOffenses("nothing", [])).not.toThrow();
});
