import { type FloatArray, selectRows, type Tensor } from "~/lib/tensor";
import {
  type AlignmentTrainingOptions,
  type AlignmentTrainingResult,
  trainAlignment,
} from "./alignment-training";
import { imageToTextRecall, type RecallAtK } from "./retrieval";

export interface AlignmentSource {
  /** e.g. "depth:V", "breadth:<OCR>", "fused", "fused − breadth:<OCR>" */
  name: string;
  visual: Tensor<FloatArray>; // [images, dim] pooled, same image order as the text features
}

export interface AlignmentTableRow {
  source: string;
  heldOutLoss: number;
  /** Image→text recall on the held-out images with the fitted probe. */
  recall: RecallAtK[];
  training: AlignmentTrainingResult;
}

export type AlignmentTableOptions = Omit<AlignmentTrainingOptions, "visual" | "onProgress"> & {
  onProgress?: (fraction: number) => void;
};

/**
 * The paper's Fig. 4/5 comparison: one probe per visual source, all with the same settings, seed and therefore
 * the same train/held-out split, so their losses are comparable (chance ln N is in each row's training).
 */
export function alignmentTable(
  sources: readonly AlignmentSource[],
  options: AlignmentTableOptions,
): AlignmentTableRow[] {
  const { onProgress, ...settings } = options;
  return sources.map((source, index) => {
    const training = trainAlignment({
      ...settings,
      visual: source.visual,
      onProgress: (f) => onProgress?.((index + f) / sources.length),
    });
    const heldOut = training.heldOutIndices;
    const recall = imageToTextRecall(
      training.projection,
      selectRows(source.visual, heldOut),
      selectRows(settings.text, heldOut),
    );
    return { source: source.name, heldOutLoss: training.heldOutLoss, recall, training };
  });
}
