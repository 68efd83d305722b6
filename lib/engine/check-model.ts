import { type LoadedModel, loadModel, type ModelDtype } from "./load-model";
import { loadModelFolder } from "./load-model-folder";
import { describeModel, type ModelInfo } from "./model-info";
import type { OrtGraph, SessionSettings } from "./ort-graph";

export interface ModelCheck {
  info: ModelInfo;
  /** Each weight variant the folder declares, opened and checked against the contract. */
  variants: { dtype: ModelDtype; graphs: string[] }[];
  /** What fvl.json promises but the graphs do not have (empty when the folder is consistent). */
  problems: string[];
}

/**
 * Validates a model folder against the model-directory contract: every declared dtype variant loads (names,
 * dtypes, ranks, sizes, checksums: loadModel throws a ModelFolderError otherwise), and the outputs fvl.json
 * names (stage grids, attention probabilities, image tokens, depth dims) exist on the graphs. Comparison-encoder
 * folders are checked by loadModelFolder (vision-encoder.ts).
 */
export async function checkModelFolder(dir: string, session: SessionSettings): Promise<ModelCheck> {
  const first = await loadModelFolder(dir, { session });
  if (first.kind === "encoder") {
    // A comparison encoder has one fp32 graph, checked as it loads (names, shapes, square patch grid).
    await first.release();
    return {
      info: describeModel(first),
      variants: [{ dtype: "fp32", graphs: [first.vision.file] }],
      problems: [],
    };
  }
  const dtypes: ModelDtype[] = first.manifest?.dtypes ?? [first.dtype];
  const variants: ModelCheck["variants"] = [];
  const problems: string[] = [];
  let info: ModelInfo | null = null;
  for (const dtype of dtypes) {
    const model = dtype === first.dtype ? first : await loadModel(dir, { session, dtype });
    try {
      info ??= describeModel(model);
      variants.push({ dtype, graphs: graphsOf(model).map((graph) => graph.file) });
      problems.push(...manifestProblems(model));
    } finally {
      await model.release();
    }
  }
  if (info === null) throw new Error(`no variant of ${dir} could be opened`);
  return { info, variants, problems: [...new Set(problems)] };
}

function graphsOf(model: LoadedModel): OrtGraph[] {
  const lm = model.languageModel;
  return [
    model.vision,
    model.embedTokens,
    model.encoder,
    model.decoder,
    ...(model.projector === null ? [] : [model.projector]),
    ...(lm === null ? [] : [lm.embedTokens, lm.decoder]),
  ];
}

function manifestProblems(model: LoadedModel): string[] {
  const manifest = model.manifest;
  if (manifest === null) return [];
  const problems: string[] = [];
  const byFile = new Map(graphsOf(model).map((graph) => [graph.file, graph]));
  const vision = model.vision;
  for (const level of manifest.depth_levels) {
    const output = vision.outputs.find((o) => o.name === level.output);
    if (output === undefined) {
      problems.push(`depth level ${level.name}: ${vision.file} has no output ${level.output}`);
      continue;
    }
    const channels = level.layout === "BCHW" ? output.shape[1] : output.shape[2];
    if (typeof channels === "number" && channels !== level.dims)
      problems.push(
        `depth level ${level.name}: ${level.dims} dims in fvl.json, ${channels} in ${vision.file}`,
      );
  }
  const tokens = vision.outputs.find((o) => o.name === "image_features")?.shape[1];
  if (typeof tokens === "number" && tokens !== manifest.image_token_count)
    problems.push(`image_token_count ${manifest.image_token_count} in fvl.json, ${tokens} in ${vision.file}`);
  for (const [file, attention] of Object.entries(manifest.attention_outputs)) {
    // Attention outputs are listed for the fp32 files; a variant has the same outputs under its own name.
    const graph =
      byFile.get(file) ?? [...byFile.values()].find((g) => g.file.startsWith(file.replace(/\.onnx$/, "")));
    if (graph === undefined) continue;
    const missing = attention.names.filter((name) => !graph.hasOutput(name));
    if (missing.length > 0) problems.push(`${graph.file}: attention outputs ${missing.join(", ")} missing`);
  }
  return problems;
}
