#!/bin/sh
# Regenerates the committed TypeScript for the wire schema from schemas/filestore.fbs.
# Usage: scripts/generate-schema.sh [output-dir]   (default: schemas/generated)
# Needs flatc from Debian's flatbuffers-compiler (2.0.x), whose output runs on the
# npm flatbuffers runtime pinned in package.json. test/net/schema_generated.test.ts
# regenerates into a temporary folder and fails on any difference.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
output=${1:-"$root/schemas/generated"}
if ! command -v flatc >/dev/null 2>&1; then
  echo "generate-schema: flatc not found (apt-get install -y flatbuffers-compiler)" >&2
  exit 2
fi
rm -rf "$output"
mkdir -p "$output"
flatc --ts -o "$output" "$root/schemas/filestore.fbs"
