import "#server-only";
import fs from "node:fs/promises";
import path from "node:path";
import type { ModelDtype, SessionSettings } from "~/lib/engine";
import {
  type KnownModel,
  listKnownModels,
  type ModelSettings,
  resolveKnownModel,
} from "~/server/services/models/known-models";
import { type ModelSummary, summarizeModel } from "~/server/services/models/model-summary";
import { EngineHost, type ModelLoadState, type ModelMemory } from "./engine-host";

export interface ModelPoolOptions {
  models: ModelSettings;
  session: SessionSettings;
  maxInputPixels: number;
  /** INFERENCE_MEMORY_MB in bytes: the loaded models' weights (graph bytes on disk) stay under it; null: no limit. */
  budgetBytes: number | null;
  /** MODEL_DTYPE and LLM_VARIANT: they apply to the default model; the others open their folder's defaults. */
  dtype?: ModelDtype;
  languageModelVariant?: string;
}

/** A loaded model as health lists it. */
export interface LoadedModelEntry {
  name: string;
  dir: string;
  isDefault: boolean;
  memory: ModelMemory;
  loadMs: number;
}

/** A load or unload, for health's recent history (what the models page and the tests read). */
export interface PoolEvent {
  action: "load" | "unload";
  name: string;
  ms: number;
  at: string;
}

const HISTORY_SIZE = 32;

/**
 * The models this process serves (issue 20): each known model folder is loaded on its first request and kept in
 * least-recently-used order; loading one more unloads the least recently used ones (closing their ONNX Runtime
 * sessions) until the loaded weights fit `budgetBytes`. Every request runs in one process-wide queue, so one
 * inference runs at a time and a model is only ever unloaded between requests, never under one in flight.
 */
export class ModelPool {
  /** Loaded models, least recently used first. */
  private readonly loaded = new Map<string, EngineHost>();
  private readonly loadMs = new Map<string, number>();
  /** Each model's weight bytes from its last load: the next load's estimate. */
  private readonly weightBytes = new Map<string, number>();
  private readonly summaries = new Map<string, { stamp: number; summary: ModelSummary }>();
  private readonly events: PoolEvent[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  /** The default model's host, kept when unloaded so health still says what it last was. */
  readonly defaultHost: EngineHost;

  constructor(private readonly options: ModelPoolOptions) {
    this.defaultHost = new EngineHost(
      path.resolve(options.models.modelDir),
      options.session,
      options.maxInputPixels,
      options.dtype,
      options.languageModelVariant,
    );
  }

  get budgetBytes(): number | null {
    return this.options.budgetBytes;
  }

  /** The default model's load state (MODEL_DIR), as it was last loaded. */
  get defaultState(): ModelLoadState {
    return this.defaultHost.loadState;
  }

  /** What is loaded now, least recently used first, and the recent loads and unloads. */
  get state(): { loaded: LoadedModelEntry[]; loadedWeightBytes: number; events: PoolEvent[] } {
    const loaded = [...this.loaded.values()].flatMap((host) => {
      const state = host.loadState;
      return state.state === "ready"
        ? [
            {
              name: path.basename(host.modelDir),
              dir: host.modelDir,
              isDefault: host === this.defaultHost,
              memory: state.memory,
              loadMs: this.loadMs.get(host.modelDir) ?? 0,
            },
          ]
        : [];
    });
    return {
      loaded,
      loadedWeightBytes: loaded.reduce((sum, entry) => sum + entry.memory.weightBytes, 0),
      events: [...this.events],
    };
  }

  /**
   * Runs `work` on the known model `requested` names (folder name or absolute path; the default when unset), loaded
   * first if it is not; requests run one at a time. An unknown model is a BAD_INPUT AppError.
   */
  use<T>(requested: string | undefined, work: (host: EngineHost) => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => work(await this.acquire(await this.resolve(requested))));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Loads a model (if it is not) and says how that went. */
  load(requested?: string): Promise<ModelLoadState & { name: string; dir: string }> {
    return this.use(requested, async (host) => ({
      ...host.loadState,
      name: path.basename(host.modelDir),
      dir: host.modelDir,
    }));
  }

  /**
   * Every known model's summary (models page). A model that is not loaded is opened to be described and closed
   * again, once per change of its folder (the summary is cached by the folder's config.json time).
   */
  describeAll(): Promise<(ModelSummary & { isLoaded: boolean })[]> {
    const run = this.queue.then(async () => {
      const known = await listKnownModels(this.options.models);
      const out: (ModelSummary & { isLoaded: boolean })[] = [];
      for (const model of known) {
        const summary = await this.summary(model);
        if (summary !== null) out.push({ ...summary, isLoaded: this.loaded.has(model.dir) });
      }
      return out;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Closes every loaded model's sessions. */
  async releaseAll(): Promise<void> {
    await this.queue;
    for (const host of this.loaded.values()) await host.release();
    this.loaded.clear();
  }

  private resolve(requested: string | undefined): Promise<KnownModel> {
    return resolveKnownModel(this.options.models, requested);
  }

  private async acquire(model: KnownModel): Promise<EngineHost> {
    const loaded = this.loaded.get(model.dir);
    if (loaded !== undefined) {
      // Most recently used goes last.
      this.loaded.delete(model.dir);
      this.loaded.set(model.dir, loaded);
      return loaded;
    }
    const host = model.isDefault ? this.defaultHost : this.newHost(model.dir);
    await this.makeRoom(model.dir, this.weightBytes.get(model.dir) ?? (await graphBytesOnDisk(model.dir)));
    const started = performance.now();
    const state = await host.load();
    const ms = performance.now() - started;
    if (state.state !== "ready") return host;
    this.record("load", model.dir, ms);
    this.loadMs.set(model.dir, ms);
    this.weightBytes.set(model.dir, state.memory.weightBytes);
    this.loaded.set(model.dir, host);
    // The estimate may have been low: the model as loaded counts now.
    await this.makeRoom(model.dir, 0);
    return host;
  }

  /** Unloads least recently used models other than `keep` until `incoming` more bytes fit the budget. */
  private async makeRoom(keep: string, incoming: number): Promise<void> {
    const budget = this.options.budgetBytes;
    if (budget === null) return;
    for (const [dir, host] of this.loaded) {
      if (this.state.loadedWeightBytes + incoming <= budget) return;
      if (dir === keep) continue;
      const started = performance.now();
      await host.release();
      this.loaded.delete(dir);
      this.record("unload", dir, performance.now() - started);
    }
  }

  private async summary(model: KnownModel): Promise<ModelSummary | null> {
    const stamp = await fs.stat(path.join(model.dir, "config.json")).then(
      (stat) => stat.mtimeMs,
      () => null,
    );
    if (stamp === null) return null;
    const cached = this.summaries.get(model.dir);
    if (cached?.stamp === stamp) return cached.summary;
    const loaded = this.loaded.get(model.dir)?.describe();
    let info = loaded ?? null;
    if (info === null) {
      const host = this.newHost(model.dir);
      await host.load();
      info = host.describe();
      await host.release();
    }
    if (info === null) return null;
    const summary = await summarizeModel(model, info);
    this.summaries.set(model.dir, { stamp, summary });
    return summary;
  }

  private newHost(dir: string): EngineHost {
    return new EngineHost(dir, this.options.session, this.options.maxInputPixels);
  }

  private record(action: PoolEvent["action"], dir: string, ms: number): void {
    this.events.push({ action, name: path.basename(dir), ms, at: new Date().toISOString() });
    if (this.events.length > HISTORY_SIZE) this.events.shift();
  }
}

/** Before a model's first load, its estimate is every graph in its onnx/ folder (an upper bound: all variants). */
async function graphBytesOnDisk(dir: string): Promise<number> {
  const files = await fs.readdir(path.join(dir, "onnx")).catch(() => [] as string[]);
  const sizes = await Promise.all(
    files
      .filter((file) => /\.onnx(_data)?$/.test(file))
      .map((file) =>
        fs.stat(path.join(dir, "onnx", file)).then(
          (stat) => stat.size,
          () => 0,
        ),
      ),
  );
  return sizes.reduce((sum, size) => sum + size, 0);
}
