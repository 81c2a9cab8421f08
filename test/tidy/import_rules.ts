/**
 * Import directions, as the architecture (ARCHITECTURE.md, "Modules") draws them: arrows point one way
 * (main → cluster → {engine, net, log}; engine → log; {net, cluster/transport} → wire → schemas), and
 * the Raft core is a pure state machine. Each rule below is an arrow that must not be drawn, with its
 * reason. The pure folders have their own check (pure_modules.ts).
 */
import { importEdges } from "./module_graph.ts";
import type { Offense } from "./offense.ts";
import type { SourceFile } from "./source_tree.ts";

export interface ImportRule {
  /** Files under this folder (a path prefix) are bound by the rule... */
  from: string;
  /** ...except files under these. */
  fromExcept?: string[];
  /** They must not import files under these prefixes... */
  to: string[];
  /** ...except files under these. */
  toExcept?: string[];
  /** Imports of types alone are allowed: they vanish at run time. */
  typesAllowed?: boolean;
  why: string;
}

const serverFolders = ["src/cluster/", "src/client/", "src/admin/", "src/cli/", "src/config/", "src/main.ts"];

export const importRules: readonly ImportRule[] = [
  {
    from: "src/log/",
    to: ["src/engine/", "src/net/", ...serverFolders],
    why: "the segment log knows nothing of Raft, keys or the network (ARCHITECTURE.md: engine → log, not back)",
  },
  {
    from: "src/engine/",
    to: ["src/net/", ...serverFolders],
    why: "the state machine knows nothing of the network or Raft (ARCHITECTURE.md: cluster → engine → log)",
  },
  {
    from: "src/net/",
    to: ["src/log/", ...serverFolders],
    why: "the client-port server frames, decodes and bounds requests; it knows nothing of who executes them",
  },
  {
    from: "src/net/",
    to: ["src/engine/"],
    toExcept: ["src/engine/limits.ts"],
    typesAllowed: true,
    why: "the server shares the engine's command types and data limits (one source each), never its code: "
      + "a service executes commands",
  },
  {
    from: "src/wire/",
    to: ["src/net/", "src/engine/", "src/log/", ...serverFolders],
    why: "src/wire/ (framing, the verifier, statuses) sits below both ports: the client port (src/net/) and "
      + "the peer port (src/cluster/transport/) use it, and it knows neither, nor the store",
  },
  {
    from: "src/cluster/",
    to: ["src/net/"],
    toExcept: ["src/net/key_value_service.ts", "src/net/session_outcomes.ts"],
    why: "the cluster shares the wire helpers with the client port through src/wire/; of src/net/ it uses "
      + "only the service interface its replicated service implements (key_value_service.ts) and the "
      + "table of session outcomes its state machine shares with the port's deduplicator (session_outcomes.ts)",
  },
  {
    from: "src/client/",
    to: ["src/log/", "src/cluster/", "src/admin/", "src/cli/", "src/config/", "src/main.ts"],
    toExcept: ["src/cluster/placement/"],
    why: "the public client knows nothing of server internals (it speaks the wire format of src/net/); of the "
      + "cluster it uses only the placement rules (src/cluster/placement/: pure, no runtime), to route keys to "
      + "shards exactly as the nodes place them",
  },
  {
    from: "src/cluster/",
    to: ["src/client/", "src/admin/", "src/cli/", "src/main.ts"],
    why: "arrows point down (main → cluster): the cluster is driven by the program, not the other way",
  },
  {
    from: "src/admin/",
    to: ["src/client/", "src/cli/", "src/main.ts"],
    why: "the admin endpoint reports on a node; the program starts it, not the other way",
  },
  {
    from: "src/util/",
    to: ["src/"],
    toExcept: ["src/util/"],
    why: "src/util/ is the bottom layer: everything may use it, it uses nothing of ours",
  },
  {
    from: "src/",
    fromExcept: ["src/net/", "src/cluster/transport/", "src/wire/"],
    to: ["schemas/"],
    why: "the generated wire code is used at the two edges only, the client port (src/net/) and the peer port "
      + "(src/cluster/transport/), and by the wire helpers they share (src/wire/): elsewhere speak in the "
      + "messages those modules decode to",
  },
  {
    from: "src/",
    to: ["test/", "bench/"],
    why: "shipped code never depends on tests or benchmarks",
  },
];

function underAny(path: string, prefixes: readonly string[] | undefined): boolean {
  return (prefixes ?? []).some((prefix) => path.startsWith(prefix));
}

export function importRuleOffenses(files: SourceFile[], rules: readonly ImportRule[] = importRules): Offense[] {
  const known = new Set(files.map((file) => file.path));
  const offenses: Offense[] = [];
  for (const file of files) {
    const bound = rules.filter((rule) => file.path.startsWith(rule.from) && !underAny(file.path, rule.fromExcept));
    if (bound.length === 0) continue;
    for (const edge of importEdges(file, known)) {
      if (edge.target === null) continue;
      for (const rule of bound) {
        if (!underAny(edge.target, rule.to) || underAny(edge.target, rule.toExcept)) continue;
        if (rule.typesAllowed && edge.typeOnly) continue;
        const what = rule.typesAllowed ? "code from" : "anything under";
        offenses.push({
          path: file.path,
          line: edge.line,
          message: `imports ${edge.target}, but ${rule.from} may not import ${what} ${rule.to.join(", ")}: `
            + `${rule.why}. `
            + "Move what both need below them (e.g. to src/util/) or pass it in as a parameter",
        });
      }
    }
  }
  return offenses;
}
