import type { RouterOutputs } from "~/app/_trpc/router-types";

/** What the inference server said of its model, as a run recorded it (`runs.get`'s modelInfo). */
export type ServedModelView = NonNullable<RouterOutputs["runs"]["get"]["modelInfo"]>;

// fvl.json's source.format (tools/export), "lens" for the bundled model, "onnx-community" for stock folders.
const SOURCE_LABEL: Record<string, string> = {
  "hf-native": "Hugging Face Florence-2",
  "remote-code": "Florence-2 remote-code",
  "florence-vl": "Florence-VL checkpoint",
  lens: "bundled Lens model",
  "onnx-community": "stock onnx-community export",
};

/** One line naming the model, where its weights came from, their dtype and how breadth and padding were done. */
export function describeServedModel(model: ServedModelView): string {
  return [
    model.name,
    SOURCE_LABEL[model.sourceFormat] ?? model.sourceFormat,
    `${model.dtype} weights`,
    `${model.breadthMode === "florence-vl" ? "Florence-VL" : "Lens"} breadth prompts`,
    model.padToSquare ? "padded to square" : "not padded to square",
  ].join(" · ");
}
