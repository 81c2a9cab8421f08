/**
 * The sharded cluster as the admin endpoint shows it (JSON; shapes in README, "Seeing a sharded
 * cluster", and src/cluster/meta/cluster_overview.ts):
 *   GET /cluster/shards               a row per shard, in range order
 *   GET /cluster/nodes                a row per node ever added, by id
 *   GET /cluster/locate?key=K         where key K (UTF-8) lives: partition key, hash, shard,
 *   GET /cluster/locate?key-hex=HEX   replicas, leader; key-hex for a key that is not UTF-8
 *   GET /cluster/local-replicas       this node's replicas now (local_report_json.ts)
 * Any node answers the first three from its copy of the coordinator's state, merged with the
 * reports of every node not removed (report_gather.ts): an operator may point at any node. The
 * answers carry the map version they were built from in the `filestore-map-version` header.
 * A node that is not part of a sharded cluster answers 404; one still starting, whose
 * coordinator copy knows of no bootstrapped cluster yet, or already gathering viewsInFlightMax
 * views answers 503; a bad key, 400. Errors are {"error": "..."}.
 */
import {
  locatedToJson, namer, nodeRows, shardRows, viewedShardMap, type GatheredReports, type ShardedClusterSource,
} from "../cluster/meta/cluster_overview.ts";
import { locate } from "../cluster/placement/locate.ts";
import { keySizeBytesMax } from "../engine/limits.ts";
import { assert } from "../util/assert.ts";
import { localReportToJson } from "./local_report_json.ts";
import { gatherReports, localReportPath } from "./report_gather.ts";

/** The response header naming the map version an answer was built from. */
export const mapVersionHeader = "filestore-map-version";

const viewPaths = new Set(["/cluster/shards", "/cluster/nodes", "/cluster/locate"]);

/**
 * Views one node gathers at once. Each asks every other node for its report: an operator's
 * command or a dashboard needs a few at a time; past this, a caller (a script looping without
 * pause) is told to come back rather than making every node answer it without bound.
 */
const viewsInFlightMax = 8;

const tryLater = "try again shortly or ask another node";

/** Whether `path` is one of these routes (served by routeClusterView, sharded node or not). */
export function isClusterViewPath(path: string): boolean {
  return viewPaths.has(path) || path === localReportPath;
}

/** One admin server's cluster views: the routes above, with views in flight bounded (viewsInFlightMax). */
export class ClusterViewRoutes {
  private viewsInFlight = 0;

  /** `source` is undefined on a node that is not sharded, null on a sharded node still starting. */
  async route(request: Request, path: string, source: ShardedClusterSource | null | undefined): Promise<Response> {
    assert(isClusterViewPath(path), "only the cluster view's routes come here");
    if (request.method !== "GET" && request.method !== "HEAD") {
      return json(405, { error: "the cluster views are GET requests" }, { allow: "GET, HEAD" });
    }
    if (source === undefined) return json(404, { error: "this node is not part of a sharded cluster" });
    if (source === null) return json(503, { error: `this node is starting; ${tryLater}` });
    const machine = source.coordinator;
    if (path === localReportPath) {
      return json(200, localReportToJson(source.localReport(), namer(machine)(source.nodeId)));
    }
    if (!machine.bootstrapped) {
      return json(503, { error: `this node knows of no cluster bootstrapped yet; ${tryLater}` });
    }
    const key = path === "/cluster/locate" ? keyOf(new URL(request.url).searchParams) : null;
    if (typeof key === "string") return json(400, { error: key });
    if (this.viewsInFlight >= viewsInFlightMax) {
      return json(503, { error: `${viewsInFlightMax} cluster views are being gathered here; ${tryLater}` });
    }
    let gathered: GatheredReports;
    this.viewsInFlight++;
    try {
      gathered = await gatherReports(machine, source.localReport());
    } finally {
      this.viewsInFlight--;
    }
    const headers = { [mapVersionHeader]: String(machine.mapVersion) };
    if (path === "/cluster/shards") return json(200, shardRows(machine, gathered), headers);
    if (path === "/cluster/nodes") return json(200, nodeRows(machine, gathered), headers);
    const location = locate(key!, viewedShardMap(machine, gathered)!);
    return json(200, locatedToJson(location, namer(machine)), headers);
  }
}

/** The key of a locate query (`key` as UTF-8, or `key-hex`), or why there is none. */
function keyOf(query: URLSearchParams): Uint8Array | string {
  const text = query.get("key");
  const hex = query.get("key-hex");
  if ((text === null) === (hex === null)) return "give the key as key=TEXT (UTF-8) or key-hex=HEX, one of them";
  let key: Uint8Array;
  if (text !== null) {
    key = new TextEncoder().encode(text);
  } else {
    if (!/^([0-9a-fA-F]{2})*$/.test(hex!)) return "key-hex must be an even number of hex digits";
    key = Uint8Array.from(Buffer.from(hex!, "hex"));
  }
  if (key.length === 0 || key.length > keySizeBytesMax) {
    return `a key is 1 to ${keySizeBytesMax} bytes, not ${key.length}`;
  }
  return key;
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  const allHeaders = { "content-type": "application/json", ...headers };
  return new Response(`${JSON.stringify(body)}\n`, { status, headers: allHeaders });
}
