import { workerData } from "node:worker_threads";
import { type ShardSearch, searchShard } from "./nearest-neighbors";
import { serveSteps, throwIfStopped } from "./shared-workers";

// Entry of one neighbour-search thread (nearest-neighbors.ts): indexes its shard, searches it for every row.
serveSteps<ShardSearch>(workerData, ({ data, control }) => searchShard(data, () => throwIfStopped(control)));
