import fs from "node:fs/promises";
import path from "node:path";
import * as ort from "onnxruntime-node";

export type ExecutionProvider = "cpu" | "cuda" | "webgpu";

export type ModelLoadState =
  | { state: "missing"; detail: string }
  | { state: "loading" }
  | { state: "ready"; graphs: { file: string; inputs: readonly string[]; outputs: readonly string[] }[] }
  | { state: "failed"; detail: string };

export interface SessionSettings {
  executionProvider: ExecutionProvider;
  intraOpThreads: number;
  interOpThreads: number;
}

/**
 * Holds the ONNX Runtime sessions of the one model this process serves. Loading happens once, off the request
 * path; a failed load is kept with its reason (and retried by `load()`), never hidden.
 */
export class ModelSlot {
  private status: ModelLoadState = { state: "loading" };
  private sessions = new Map<string, ort.InferenceSession>();

  constructor(
    readonly modelDir: string,
    readonly settings: SessionSettings,
  ) {}

  get loadState(): ModelLoadState {
    return this.status;
  }

  async load(): Promise<ModelLoadState> {
    this.status = { state: "loading" };
    await this.release();
    const onnxDir = path.join(this.modelDir, "onnx");
    const files = await listGraphs(onnxDir);
    if (files === undefined) {
      this.status = {
        state: "missing",
        detail: `No model folder at ${this.modelDir} (expected ${onnxDir}/*.onnx).`,
      };
      return this.status;
    }
    try {
      const graphs = [];
      for (const file of files) {
        const session = await ort.InferenceSession.create(
          path.join(onnxDir, file),
          sessionOptions(this.settings),
        );
        this.sessions.set(file, session);
        graphs.push({ file, inputs: session.inputNames, outputs: session.outputNames });
      }
      this.status = { state: "ready", graphs };
    } catch (error) {
      await this.release();
      this.status = { state: "failed", detail: error instanceof Error ? error.message : String(error) };
    }
    return this.status;
  }

  async release(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((session) => session.release()));
    this.sessions.clear();
  }
}

async function listGraphs(onnxDir: string): Promise<string[] | undefined> {
  try {
    const entries = await fs.readdir(onnxDir);
    const graphs = entries.filter((name) => name.endsWith(".onnx")).sort();
    return graphs.length > 0 ? graphs : undefined;
  } catch {
    return undefined;
  }
}

function sessionOptions(settings: SessionSettings): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [settings.executionProvider],
    // 0 means "let ONNX Runtime decide" in our configuration; ORT itself expects the key to be absent then.
    ...(settings.intraOpThreads > 0 ? { intraOpNumThreads: settings.intraOpThreads } : {}),
    ...(settings.interOpThreads > 0 ? { interOpNumThreads: settings.interOpThreads } : {}),
  };
}

/** Whether this onnxruntime-node install carries the binaries for `provider` (CUDA needs the cuda12 install). */
export function isProviderInstalled(provider: ExecutionProvider): boolean {
  return ort.listSupportedBackends().some((backend) => backend.name === provider && backend.bundled);
}

export const ortVersion: string = ort.env.versions.node ?? ort.env.versions.common;
