import { expect, test } from "bun:test";
import pkg from "../package.json";

test("package declares the CLI and the public client entry", () => {
  expect(pkg.name).toBe("filestore");
  expect(pkg.bin.filestore).toBe("./bin/filestore");
  expect(pkg.exports["."]).toBe("./src/client/index.ts");
});
