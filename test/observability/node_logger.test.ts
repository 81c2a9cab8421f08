/**
 * The node's logger (pino underneath): the JSON and logfmt line shapes, level filtering, child
 * fields, and logfmt's quoting, checked on the lines it writes.
 */
import { describe, expect, test } from "bun:test";
import { logfmtLine } from "../../src/observability/logfmt.ts";
import { createNodeLogger } from "../../src/observability/node_logger.ts";
import type { LogFormat, LogLevel } from "../../src/util/logger.ts";

const isoTime = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

function collect(format: LogFormat, level: LogLevel): { lines: string[]; logger: ReturnType<typeof createNodeLogger> } {
  const lines: string[] = [];
  const logger = createNodeLogger({ format, level, destination: { write: (line) => lines.push(line) } });
  return { lines, logger };
}

describe("JSON lines", () => {
  test("one object per line: level as a name, ISO time, fields, msg; undefined fields left out", () => {
    const { lines, logger } = collect("json", "info");
    logger.child({ node: "n1" }).info("became leader", { term: 5, leader: undefined });
    expect(lines).toHaveLength(1);
    expect(lines[0].endsWith("}\n")).toBe(true);
    const event = JSON.parse(lines[0]);
    expect(event.time).toMatch(isoTime);
    expect(event).toEqual({ level: "info", time: event.time, node: "n1", term: 5, msg: "became leader" });
  });
});

describe("logfmt lines", () => {
  test("time, level and msg first, then the fields in order; values quoted only when needed", () => {
    const { lines, logger } = collect("logfmt", "info");
    const file = "/data/log/00000000000000000001.log";
    logger.child({ node: "n1" }).warn("torn tail cut", { file, offset: 4096, note: "two words" });
    expect(lines).toHaveLength(1);
    const time = /^time=(\S+) /.exec(lines[0])?.[1] ?? "";
    expect(time).toMatch(isoTime);
    const fields = `node=n1 file=${file} offset=4096 note="two words"`;
    expect(lines[0]).toBe(`time=${time} level=warn msg="torn tail cut" ${fields}\n`);
  });

  test("a value with quotes, backslashes, newlines or nothing is quoted with JSON escapes", () => {
    const line = logfmtLine({ msg: "m", a: 'say "hi"', b: "a\\b", c: "line\nbreak", d: "k=v", e: "", f: "\u001b[31m" });
    expect(line).toBe('msg=m a="say \\"hi\\"" b="a\\\\b" c="line\\nbreak" d="k=v" e="" f="\\u001b[31m"\n');
    expect(logfmtLine({ msg: "m", g: "n2", h: 12.5, i: false, j: null })).toBe("msg=m g=n2 h=12.5 i=false j=null\n");
  });

  test("a message that spans lines stays on one line", () => {
    const line = logfmtLine({ time: "t", level: "error", msg: "first\nsecond" });
    expect(line).toBe('time=t level=error msg="first\\nsecond"\n');
  });
});

describe("levels", () => {
  const levels: LogLevel[] = ["error", "warn", "info", "debug"];

  for (const level of levels) {
    test(`--log-level ${level} writes that level and the more severe ones`, () => {
      const { lines, logger } = collect("json", level);
      for (const each of levels) logger[each](`a ${each} event`);
      const written = lines.map((line) => JSON.parse(line).level);
      expect(written).toEqual(levels.slice(0, levels.indexOf(level) + 1));
      expect(levels.map((each) => logger.enabled(each))).toEqual(levels.map((each) => written.includes(each)));
    });
  }
});
