import { workerData } from "node:worker_threads";
import { type ShardSearch, searchShard } from "./nearest-neighbors";
import { serveSteps } from "./shared-workers";

// Entry of one neighbour-search thread (nearest-neighbors.ts): indexes its shard, searches it for every row.
serveSteps<ShardSearch>(workerData, ({ data }) => searchShard(data));
