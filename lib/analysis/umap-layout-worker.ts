import { workerData } from "node:worker_threads";
import { serveSteps } from "./shared-workers";
import {
  createLayoutThread,
  type LayoutSettings,
  type LayoutShared,
  type LayoutThread,
} from "./umap-layout-epoch";

// Entry of one layout thread (umap-layout.ts): step 0 builds the thread's state, then one step per epoch.

interface LayoutWorkerData {
  shared: LayoutShared;
  thread: number;
  settings: LayoutSettings;
}

let layout: LayoutThread | undefined;
serveSteps<LayoutWorkerData>(workerData, ({ data }, step) => {
  if (step === 0) {
    layout = createLayoutThread(data.shared, data.thread, data.settings);
    return;
  }
  layout?.runEpoch(step - 1);
});
