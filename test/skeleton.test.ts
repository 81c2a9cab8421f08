import { expect, test } from "bun:test";
import pkg from "../package.json";

test("package declares the CLI and the public client entry", () => {
  expect(pkg.name).toBe("filestore");
  expect(pkg.bin.filestore).toBe("./src/main.ts");
  expect(pkg.exports["."]).toEqual({
    bun: "./src/client/index.ts",
    types: "./dist/client/index.d.ts",
    default: "./dist/client/index.js",
  });
});
