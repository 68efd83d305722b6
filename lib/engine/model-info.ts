import { breadthMode, fusionOrder } from "./encode";
import type { LoadedModel, ModelDtype } from "./load-model";
import { describeVisionEncoder, type LoadedVisionEncoder } from "./vision-encoder";

/** What a loaded model folder is, for `fvl model check`, the inference server's health and the run page. */
export interface ModelInfo {
  name: string;
  dir: string;
  kind: LoadedModel["kind"] | LoadedVisionEncoder["kind"];
  /** Where the weights came from: "hf-native" | "remote-code" | "florence-vl" for tools/export folders,
   * "lens" for Lens's own exports (the bundled model), "onnx-community" for stock folders without fvl.json,
   * "encoder:clip" | "encoder:siglip" | "encoder:dinov2" for comparison encoders. */
  sourceFormat: string;
  dtype: ModelDtype;
  dtypes: ModelDtype[];
  exporterVersion: string | null;
  breadthMode: ReturnType<typeof breadthMode>;
  padToSquare: boolean;
  imageTokenCount: number;
  prompts: { task: string; text: string; tokenIds: number[] | null }[];
  depthLevels: { name: string; grid: [number, number]; dims: number }[];
  /** The feature sources a run of this model can keep (stage grids opt-in); dims null until encoded (fused). */
  sources: { name: string; grid: [number, number]; dims: number | null }[];
  fusionOrder: string[];
  hasProjector: boolean;
  hasLanguageModel: boolean;
  /** Graph file → its attention outputs (empty for stock exports: no attention maps). */
  attentionOutputs: { graph: string; kind: string; names: string[] }[];
  /** Source checkpoint files and their sha256, as fvl.json records them. */
  sourceFiles: Record<string, string>;
}

export function describeModel(model: LoadedModel | LoadedVisionEncoder): ModelInfo {
  if (model.kind === "encoder") return describeVisionEncoder(model);
  const manifest = model.manifest;
  const imageTokens = model.vision.outputs.find((o) => o.name === "image_features")?.shape[1];
  const depthLevels = manifest?.depth_levels.map((l) => ({ name: l.name, grid: l.grid, dims: l.dims })) ?? [
    stockV(model),
  ];
  const v = depthLevels.find((level) => level.name === "V") ?? stockV(model);
  const prompts = (manifest?.prompts ?? []).map((p) => ({
    task: p.task,
    text: p.text,
    tokenIds: p.token_ids ?? null,
  }));
  return {
    name: manifest?.name ?? model.dir.split(/[\\/]/).pop() ?? model.dir,
    dir: model.dir,
    kind: model.kind,
    sourceFormat: manifest === null ? "onnx-community" : (manifest.source?.format ?? "lens"),
    dtype: model.dtype,
    dtypes: manifest?.dtypes ?? ["fp32"],
    exporterVersion: manifest?.source?.exporter_version ?? null,
    breadthMode: breadthMode(model),
    padToSquare: manifest?.preprocess?.pad_to_square ?? false,
    imageTokenCount: manifest?.image_token_count ?? (typeof imageTokens === "number" ? imageTokens : 0),
    prompts,
    depthLevels,
    sources: [
      ...depthLevels.map((level) => ({ name: `depth:${level.name}`, grid: level.grid, dims: level.dims })),
      ...fusionOrder(model)
        .filter((source) => source !== "V")
        .map((task) => ({ name: `breadth:${task}`, grid: v.grid, dims: v.dims })),
      { name: "fused", grid: v.grid, dims: null },
    ],
    fusionOrder: fusionOrder(model),
    hasProjector: model.projector !== null,
    hasLanguageModel: model.languageModel !== null,
    attentionOutputs: Object.entries(manifest?.attention_outputs ?? {}).map(([graph, value]) => ({
      graph,
      kind: value.kind,
      names: value.names,
    })),
    sourceFiles: manifest?.source?.files ?? {},
  };
}

/** A stock folder's only depth level: V, a pooled token before a square grid (577 = 1 + 24²). */
function stockV(model: LoadedModel): ModelInfo["depthLevels"][number] {
  const [, tokens, dims] = model.vision.outputs.find((o) => o.name === "image_features")?.shape ?? [];
  const side = typeof tokens === "number" ? Math.round(Math.sqrt(tokens - 1)) : 0;
  return { name: "V", grid: [side, side], dims: typeof dims === "number" ? dims : 0 };
}
