/**
 * `npm run export:full-large`: exports a full-size random Florence-2-large with fvl_export, loads it in the engine
 * and checks its graphs' names and shapes against the model-directory contract; reports export time and peak
 * memory (exporter process and engine load). Writes bench/results/export-full-large.json. Needs ~10 GB of memory
 * and ~7 GB of disk under the OS temp folder; not part of `npm test`.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { checkModelFolder } from "~/lib/engine/check-model";
import { loadModel } from "~/lib/engine/load-model";
import { ensureLargeModel, MODEL } from "./real-large-model";

const RESULTS = path.join(import.meta.dirname, "results", "export-full-large.json");
const SESSION = {
  executionProvider: "cpu" as const,
  intraOpThreads: 0,
  interOpThreads: 1,
  allowSpinning: false,
};

// The contract's shapes for Florence-2-large at 768² (docs/architecture.md, "The model-folder contract"): [name, expected dims]; strings are symbolic.
const EXPECTED: Record<string, Record<string, (string | number)[]>> = {
  "onnx/vision_encoder.onnx": {
    pixel_values: ["batch_size", 3, 768, 768],
    image_features: ["batch_size", 577, 1024],
    stage_1: ["batch_size", 256, 192, 192],
    stage_2: ["batch_size", 512, 96, 96],
    stage_3: ["batch_size", 1024, 48, 48],
    stage_4: ["batch_size", 2048, 24, 24],
  },
  "onnx/embed_tokens.onnx": {
    input_ids: ["batch_size", "sequence_length"],
    inputs_embeds: ["batch_size", "sequence_length", 1024],
  },
  "onnx/encoder_model.onnx": {
    inputs_embeds: ["batch_size", "encoder_sequence_length", 1024],
    attention_mask: ["batch_size", "encoder_sequence_length"],
    last_hidden_state: ["batch_size", "encoder_sequence_length", 1024],
    "attentions.11": ["batch_size", 16, "encoder_sequence_length", "encoder_sequence_length"],
  },
  "onnx/decoder_model_merged.onnx": {
    inputs_embeds: ["batch_size", "decoder_sequence_length", 1024],
    encoder_hidden_states: ["batch_size", "encoder_sequence_length", 1024],
    use_cache_branch: [1],
    "past_key_values.11.decoder.key": ["batch_size", 16, "past_decoder_sequence_length", 64],
    "past_key_values.11.encoder.value": ["batch_size", 16, "encoder_sequence_length_out", 64],
    logits: ["batch_size", "decoder_sequence_length", 51289],
    "present.11.encoder.key": ["batch_size", 16, "encoder_sequence_length_out", 64],
    "cross_attentions.11": ["batch_size", 16, "decoder_sequence_length", "encoder_sequence_length"],
  },
};

async function main(): Promise<void> {
  const fresh = process.argv.includes("--fresh");
  const built = await ensureLargeModel(fresh);
  const manifest = JSON.parse(await fs.readFile(path.join(MODEL, "fvl.json"), "utf8")) as {
    graphs: Record<
      string,
      {
        inputs: { name: string; dims: (string | number)[] }[];
        outputs: { name: string; dims: (string | number)[] }[];
      }
    >;
  };
  const mismatches: string[] = [];
  for (const [file, values] of Object.entries(EXPECTED)) {
    const graph = manifest.graphs[file];
    const all = [...(graph?.inputs ?? []), ...(graph?.outputs ?? [])];
    for (const [name, dims] of Object.entries(values)) {
      const actual = all.find((value) => value.name === name)?.dims;
      if (JSON.stringify(actual) !== JSON.stringify(dims))
        mismatches.push(
          `${file} ${name}: expected [${dims.join(", ")}], got ${actual ? `[${actual.join(", ")}]` : "nothing"}`,
        );
    }
  }
  const started = performance.now();
  const check = await checkModelFolder(MODEL, SESSION);
  const model = await loadModel(MODEL, { session: SESSION });
  const loadSeconds = (performance.now() - started) / 1000;
  await model.release();
  const sizes: Record<string, number> = {};
  for (const file of await fs.readdir(path.join(MODEL, "onnx")))
    sizes[file] = (await fs.stat(path.join(MODEL, "onnx", file))).size;
  const result = {
    architecture: built.export.architecture,
    fixture_seconds: built.fixtureSeconds,
    export_seconds: built.export.seconds,
    export_peak_rss_mb: built.export.peak_rss_mb,
    check_and_load_seconds: loadSeconds,
    node_peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    graph_bytes: sizes,
    contract_problems: [...check.problems, ...mismatches],
  };
  await fs.mkdir(path.dirname(RESULTS), { recursive: true });
  await fs.writeFile(RESULTS, JSON.stringify(result, null, 1));
  console.log(JSON.stringify(result, null, 1));
  if (result.contract_problems.length > 0) {
    console.error(`contract problems:\n  ${result.contract_problems.join("\n  ")}`);
    process.exitCode = 1;
  } else {
    console.log(
      `ok: names and shapes match the contract; export ${result.export_seconds} s, peak ${result.export_peak_rss_mb} MB (exporter), ${result.node_peak_rss_mb} MB (engine)`,
    );
  }
}

await main();
