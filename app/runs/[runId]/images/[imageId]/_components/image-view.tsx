"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect } from "react";
import { SimilarImages } from "~/app/_components/similar-images";
import { useTRPC } from "~/app/_trpc/react";
import { pickSource } from "~/lib/viz/pick-source";
import { AskBox } from "../../../_components/ask-box";
import { AttentionSection } from "./attention-section";
import type { ImageViewState } from "./image-view-state";
import { PcaSection } from "./pca-section";
import { useDataUrl } from "./use-data-url";

export interface ImageViewProps {
  runId: string;
  imageId: string;
  state: ImageViewState;
  onStateChange: (patch: Partial<ImageViewState>) => void;
}

/** One image of a run: PCA-RGB maps and patch similarity per source, attention maps, answers, a live question. */
export function ImageView(props: ImageViewProps) {
  const trpc = useTRPC();
  const router = useRouter();
  const summary = useQuery(
    trpc.imageView.summary.queryOptions({ runId: props.runId, imageId: props.imageId }),
  );
  const photo = useDataUrl(summary.data ? `/api/images/${summary.data.sha256}/original` : "");
  const previous = summary.data?.previousImageId ?? null;
  const next = summary.data?.nextImageId ?? null;
  // "[" and "]" page through the run's images (not while typing in a field).
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.target instanceof HTMLInputElement || event.target instanceof HTMLTextAreaElement) return;
      const target = event.key === "[" ? previous : event.key === "]" ? next : null;
      if (target !== null) router.push(`/runs/${props.runId}/images/${target}${window.location.search}`);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [previous, next, props.runId, router]);

  if (summary.isPending) return <p className="animate-pulse text-muted">Loading the image…</p>;
  if (summary.isError) {
    return (
      <p role="alert" className="text-bad">
        {summary.error.message} <Link href={`/runs/${props.runId}`}>Back to the run</Link>
      </p>
    );
  }
  const image = summary.data;
  const aspect = image.width && image.height ? image.height / image.width : 1;
  const sources = props.state.sources.filter((s) => image.sources.includes(s));
  const shown = sources.length > 0 ? sources : image.sources;
  const pageLink = (id: string | null, label: string, key: string) =>
    id === null ? (
      <span className="text-muted opacity-50">{label}</span>
    ) : (
      <Link
        href={`/runs/${props.runId}/images/${id}`}
        aria-keyshortcuts={key}
        className="rounded border border-line px-2 py-0.5 hover:border-accent"
      >
        {label}
      </Link>
    );
  return (
    <div className="space-y-8" data-testid="image-view">
      <header className="space-y-2">
        <Link href={`/runs/${props.runId}`} className="text-muted text-sm hover:text-white">
          ← {image.runName}
        </Link>
        <div className="flex flex-wrap items-baseline justify-between gap-3">
          <h1 className="font-semibold text-2xl tracking-tight">{image.fileName}</h1>
          <nav aria-label="Images" className="flex gap-2 text-sm">
            {pageLink(previous, "← previous [", "[")}
            {pageLink(next, "next ] →", "]")}
          </nav>
        </div>
        {image.caption ? <p className="text-muted text-sm">Ground truth: {image.caption}</p> : null}
        {image.status !== "done" ? (
          <p role="alert" className="text-bad text-sm">
            {image.status === "failed"
              ? `This image failed in this run: ${image.error ?? "unknown reason"}`
              : "This image is not encoded yet."}
          </p>
        ) : null}
        <div className="flex flex-wrap items-center gap-6">
          <label className="flex items-center gap-2 text-muted text-sm">
            Map opacity
            <input
              type="range"
              min={0}
              max={1}
              step={0.05}
              value={props.state.opacity}
              onChange={(event) => props.onStateChange({ opacity: Number(event.target.value) })}
              data-testid="opacity"
            />
            <span className="w-10 tabular-nums">{Math.round(props.state.opacity * 100)}%</span>
          </label>
          <div className="min-w-72 flex-1">
            <AskBox runId={props.runId} imageSha256={image.sha256} />
          </div>
        </div>
      </header>
      {image.status === "done" ? (
        <PcaSection
          runId={props.runId}
          imageId={props.imageId}
          keptSources={image.sources}
          shown={shown}
          photo={photo}
          aspect={aspect}
          state={props.state}
          onStateChange={props.onStateChange}
        />
      ) : null}
      {image.status === "done" ? (
        <SimilarImages
          runId={props.runId}
          imageId={props.imageId}
          sources={image.sources}
          source={pickSource(image.sources, props.state.similarSource)}
          onSource={(similarSource) => props.onStateChange({ similarSource })}
        />
      ) : null}
      <AttentionSection
        runId={props.runId}
        imageId={props.imageId}
        photo={photo}
        aspect={aspect}
        state={props.state}
        onStateChange={props.onStateChange}
      />
    </div>
  );
}
