"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { type FormEvent, useState } from "react";
import { useTRPC } from "../_trpc/react";

const BREADTH_TASKS = [
  { task: "<DETAILED_CAPTION>", label: "Detailed caption" },
  { task: "<OCR>", label: "OCR" },
  { task: "<DENSE_REGION_CAPTION>", label: "Dense region caption" },
] as const;

/**
 * Starts a run: dataset, model (the inference server's known folders; its default first), breadth prompts
 * (Florence-VL's three by default, plus custom text), sources, questions.
 * With `datasetId` (a dataset's page) the run is on that dataset and no picker is shown.
 */
export function StartRunForm(props: { datasetId?: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const datasets = useQuery(trpc.catalog.datasets.queryOptions());
  // Listing describes every folder once (slow on the first call); until then the default model is offered.
  const models = useQuery(trpc.system.models.queryOptions());
  const [datasetId, setDatasetId] = useState("");
  const [modelName, setModelName] = useState("");
  const [tasks, setTasks] = useState<string[]>(BREADTH_TASKS.map((t) => t.task));
  const [customPrompt, setCustomPrompt] = useState("");
  const [questions, setQuestions] = useState(
    "How many objects are there?\nWhat word is written in the image?",
  );
  const [includeStages, setIncludeStages] = useState(false);
  const [dtype, setDtype] = useState<"fp16" | "fp32">("fp16");
  const create = useMutation(
    trpc.runs.create.mutationOptions({
      onSuccess: async (run) => {
        await queryClient.invalidateQueries({ queryKey: trpc.catalog.runs.queryKey() });
        router.push(`/runs/${run.id}`);
      },
    }),
  );
  const selected = props.datasetId ?? (datasetId || datasets.data?.[0]?.id || "");
  const model = models.data?.models.find((m) => m.name === modelName && !m.isDefault);
  const hasLanguageModel = model?.hasLanguageModel ?? true;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const prompts = [...tasks, ...(customPrompt.trim() ? [customPrompt.trim()] : [])];
    create.mutate({
      datasetId: selected,
      ...(model === undefined ? {} : { model: model.name }),
      prompts,
      questions: hasLanguageModel
        ? questions
            .split("\n")
            .map((q) => q.trim())
            .filter(Boolean)
        : [],
      includeStages,
      dtype,
    });
  };

  if (datasets.data?.length === 0) return null;
  return (
    <form
      onSubmit={submit}
      aria-label="Start a run"
      className="space-y-3 rounded-lg border border-line bg-panel p-4 text-sm"
    >
      <h2 className="font-medium text-muted text-sm uppercase tracking-wide">Start a run</h2>
      <label className={props.datasetId === undefined ? "block" : "hidden"}>
        <span className="text-muted">Dataset</span>
        <select
          value={selected}
          onChange={(e) => setDatasetId(e.target.value)}
          className="mt-1 block w-full rounded border border-line bg-surface p-1"
        >
          {datasets.data?.map((d) => (
            <option key={d.id} value={d.id}>
              {d.name} ({d.imageCount} images)
            </option>
          ))}
        </select>
      </label>
      <label className="block">
        <span className="text-muted">Model</span>
        <select
          value={modelName}
          onChange={(e) => setModelName(e.target.value)}
          aria-label="Model"
          className="mt-1 block w-full rounded border border-line bg-surface p-1"
        >
          <option value="">
            {models.data?.models.find((m) => m.isDefault)?.name ?? "Default model"} (default)
          </option>
          {models.data?.models
            .filter((m) => !m.isDefault)
            .map((m) => (
              <option key={m.dir} value={m.name}>
                {m.name} ({m.format})
              </option>
            ))}
        </select>
      </label>
      <fieldset>
        <legend className="text-muted">Breadth prompts</legend>
        {BREADTH_TASKS.map((t) => (
          <label key={t.task} className="mr-4 inline-flex items-center gap-1">
            <input
              type="checkbox"
              checked={tasks.includes(t.task)}
              onChange={(e) =>
                setTasks(e.target.checked ? [...tasks, t.task] : tasks.filter((x) => x !== t.task))
              }
            />
            {t.label}
          </label>
        ))}
        <input
          value={customPrompt}
          onChange={(e) => setCustomPrompt(e.target.value)}
          placeholder="Custom prompt (optional), e.g. What colour is the largest shape?"
          className="mt-2 block w-full rounded border border-line bg-surface p-1"
        />
      </fieldset>
      <label className={hasLanguageModel ? "block" : "hidden"}>
        <span className="text-muted">Questions for the language model (one per line)</span>
        <textarea
          value={questions}
          onChange={(e) => setQuestions(e.target.value)}
          rows={3}
          className="mt-1 block w-full rounded border border-line bg-surface p-1"
        />
      </label>
      <div className="flex flex-wrap gap-4">
        <label className="inline-flex items-center gap-1">
          <input
            type="checkbox"
            checked={includeStages}
            onChange={(e) => setIncludeStages(e.target.checked)}
          />
          Keep per-stage grids (large)
        </label>
        <label className="inline-flex items-center gap-1">
          <span className="text-muted">Storage</span>
          <select
            value={dtype}
            onChange={(e) => setDtype(e.target.value === "fp32" ? "fp32" : "fp16")}
            className="rounded border border-line bg-surface p-1"
          >
            <option value="fp16">fp16</option>
            <option value="fp32">fp32</option>
          </select>
        </label>
      </div>
      {create.isError ? (
        <p role="alert" className="text-bad">
          {create.error.message}
        </p>
      ) : null}
      <button
        type="submit"
        disabled={create.isPending || !selected}
        className="rounded bg-accent px-3 py-1 font-medium text-black disabled:opacity-50"
      >
        {create.isPending ? "Starting…" : "Start run"}
      </button>
    </form>
  );
}
