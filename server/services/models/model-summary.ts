import fs from "node:fs/promises";
import path from "node:path";
import type { ModelInfo } from "~/lib/engine";
import type { KnownModel } from "./known-models";

/** What the models page shows of a model folder (issue 20). */
export interface ModelSummary {
  name: string;
  dir: string;
  isDefault: boolean;
  /** "Florence-VL", "Florence-2", or the comparison encoder's family ("clip", "siglip", "dinov2"). */
  format: string;
  /** describeModel's source format: lens, hf-native, onnx-community, encoder:clip, … */
  sourceFormat: string;
  dtypes: ModelInfo["dtypes"];
  /** Every file in the folder, in bytes. */
  sizeBytes: number;
  sources: string[];
  /** Graphs that export attention (empty: the run page has no attention maps for this model). */
  attentionOutputs: string[];
  hasLanguageModel: boolean;
}

/** A model's summary from lib/engine's description of the loaded folder (model-info.ts) and its size on disk. */
export async function summarizeModel(known: KnownModel, info: ModelInfo): Promise<ModelSummary> {
  return {
    name: known.name,
    dir: known.dir,
    isDefault: known.isDefault,
    format: info.kind === "encoder" ? info.sourceFormat.replace(/^encoder:/, "") : FORMAT_OF_KIND[info.kind],
    sourceFormat: info.sourceFormat,
    dtypes: info.dtypes,
    sizeBytes: await folderBytes(known.dir),
    sources: info.sources.map((source) => source.name),
    attentionOutputs: info.attentionOutputs.map((output) => output.graph),
    hasLanguageModel: info.hasLanguageModel,
  };
}

const FORMAT_OF_KIND = { "florence-vl": "Florence-VL", "florence-2": "Florence-2" } as const;

async function folderBytes(dir: string): Promise<number> {
  const entries = await fs.readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  const sizes = await Promise.all(
    entries
      .filter((entry) => entry.isFile())
      .map((entry) =>
        fs.stat(path.join(entry.parentPath, entry.name)).then(
          (stat) => stat.size,
          () => 0,
        ),
      ),
  );
  return sizes.reduce((sum, size) => sum + size, 0);
}
