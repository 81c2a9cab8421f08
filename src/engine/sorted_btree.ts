/**
 * The B+ tree class of `sorted-btree`, resolved the same way under `bun` and in the
 * compiled binary. The package is CommonJS with `exports.default = BTree`: the runtime
 * honours its `__esModule` flag, but `bun build` follows Node's rule for ESM importers
 * (this package.json says "type": "module") and hands over the whole exports object as the
 * default import. Taking the namespace and unwrapping `default` once serves both.
 */
import * as sortedBtreeModule from "sorted-btree";
import type SortedBTree from "sorted-btree";

type BTreeClass = typeof SortedBTree;
const defaultExport = sortedBtreeModule.default as BTreeClass | { default: BTreeClass };

export const BTree: BTreeClass = "default" in defaultExport ? defaultExport.default : defaultExport;
export type BTree<K, V> = SortedBTree<K, V>;
