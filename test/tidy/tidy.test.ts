/**
 * The tidy test (after TigerBeetle's src/tidy.zig): rules that review alone kept until now,
 * checked over every file of src/, test/ and bench/ on each run of the suite. Each check fails
 * once, listing every offender with file:line and what to do.
 */
import { describe, expect, test } from "bun:test";
import { functionLengthOffenses } from "./function_length.ts";
import { headCommentOffenses } from "./head_comment.ts";
import { importRuleOffenses } from "./import_rules.ts";
import { looseBaselineOffenses, lowerBaseline, newLongLineOffenses, readBaseline } from "./line_length.ts";
import { failOnOffenses } from "./offense.ts";
import { pendingSplits } from "./pending_splits.ts";
import { pureModuleOffenses } from "./pure_modules.ts";
import { loadSourceTree } from "./source_tree.ts";
import { unusedExportOffenses } from "./unused_exports.ts";

const files = loadSourceTree();

describe("tidy", () => {
  test("the checked files are found", () => {
    expect(files.some((file) => file.path === "src/main.ts")).toBe(true);
    expect(files.some((file) => file.path.startsWith("schemas/"))).toBe(false);
  });

  test("imports point the way the architecture draws them", () => {
    failOnOffenses("imports against the architecture's directions", importRuleOffenses(files));
  });

  test("pure modules reach no runtime, clock or randomness", () => {
    failOnOffenses("impure code reachable from a pure folder", pureModuleOffenses(files));
  });

  test("functions are at most 70 lines", () => {
    failOnOffenses("functions too long", functionLengthOffenses(files, pendingSplits));
  });

  test("no new line is longer than 120 characters", () => {
    failOnOffenses("lines too long", newLongLineOffenses(files, readBaseline()));
  });

  test("the line-length baseline is as low as the files allow", () => {
    if (process.env.FILESTORE_TIDY_LOWER_BASELINE === "1") lowerBaseline(files, readBaseline());
    failOnOffenses("line-length baseline entries to lower", looseBaselineOffenses(files, readBaseline()));
  });

  test("every export in src/ is imported somewhere", () => {
    failOnOffenses("unused exports", unusedExportOffenses(files));
  });

  test("every file starts with a head comment", () => {
    failOnOffenses("files without a head comment", headCommentOffenses(files));
  });
});
