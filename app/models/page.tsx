import type { Metadata } from "next";
import { ModelsTable } from "./_components/models-table";

export const metadata: Metadata = { title: "Models · Florence-VL Lens" };

/**
 * The model folders a run may pick (MODEL_DIR, MODEL_DIRS, MODELS_DIR's folders): format, size, sources,
 * attention outputs, language model, and which the inference server has loaded now.
 */
export default function ModelsPage() {
  return (
    <div className="space-y-6">
      <h1 className="font-semibold text-2xl tracking-tight">Models</h1>
      <ModelsTable />
    </div>
  );
}
