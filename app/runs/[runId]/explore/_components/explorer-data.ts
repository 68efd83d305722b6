"use client";

import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback } from "react";
import type { RouterOutputs } from "~/app/_trpc/router-types";
import type { PointTableMeta } from "~/lib/viz/point-table";
import { decodeFrame } from "~/lib/viz/typed-frame";
import { useTRPC } from "../../../../_trpc/react";

/** A point's details (names, caption, labels, answers), fetched for the few points on screen. */
export type AnalysisPoint = RouterOutputs["explorer"]["pointDetails"][number];

/** The run's points as typed arrays (lib/viz/point-table.ts): what drawing, colouring and linking need. */
export interface PointTable extends PointTableMeta {
  status: Uint8Array;
  codes: Uint16Array;
}

// Details are asked for in pages of this many points (the server's limit is 500).
export const DETAILS_PAGE = 200;

/**
 * Reads a binary frame from a route handler, as it streams in (the body is read chunk by chunk into one buffer,
 * so a panel of a million points never exists as text), and decodes it.
 */
export async function fetchFrame<M>(
  url: string,
  signal?: AbortSignal,
): Promise<{ meta: M; arrays: ReturnType<typeof decodeFrame>["arrays"] }> {
  const response = await fetch(url, { signal, credentials: "same-origin" });
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as { error?: string } | null;
    throw new Error(body?.error ?? `${url}: HTTP ${response.status}`);
  }
  const reader = response.body?.getReader();
  if (reader === undefined) return decodeFrame<M>(await response.arrayBuffer());
  // With a length (no compression on the way) the chunks go straight into one buffer; without, they are joined.
  const length = Number(response.headers.get("content-length") ?? 0);
  const chunks: Uint8Array[] = [];
  let buffer = new Uint8Array(Math.max(length || 0, 0));
  let filled = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (chunks.length === 0 && filled + value.length <= buffer.length) {
      buffer.set(value, filled);
      filled += value.length;
    } else {
      chunks.push(value);
    }
  }
  if (chunks.length > 0) {
    const joined = new Uint8Array(filled + chunks.reduce((sum, chunk) => sum + chunk.length, 0));
    joined.set(buffer.subarray(0, filled));
    let offset = filled;
    for (const chunk of chunks) {
      joined.set(chunk, offset);
      offset += chunk.length;
    }
    buffer = joined;
  } else if (filled < buffer.length) {
    throw new Error(`${url}: ${filled} of ${length} bytes arrived`);
  }
  return decodeFrame<M>(buffer.buffer);
}

/** The point table under a colouring (empty: the run's default); the previous one stays while a new one loads. */
export function usePointTable(runId: string, colourBy: string) {
  return useQuery({
    queryKey: ["explorer", "point-table", runId, colourBy],
    queryFn: async ({ signal }): Promise<PointTable> => {
      const frame = await fetchFrame<PointTableMeta>(
        `/api/runs/${encodeURIComponent(runId)}/points?colour=${encodeURIComponent(colourBy)}`,
        signal,
      );
      return {
        ...frame.meta,
        status: frame.arrays.status as Uint8Array,
        codes: frame.arrays.codes as Uint16Array,
      };
    },
    staleTime: 60_000,
    placeholderData: keepPreviousData,
  });
}

/** Details of the points at `indices` (a page: at most DETAILS_PAGE), or of images by id. */
export function usePointDetails(runId: string, ask: { indices?: number[]; imageIds?: string[] } | null) {
  const trpc = useTRPC();
  return useQuery({
    ...trpc.explorer.pointDetails.queryOptions({ runId, ...ask }, { staleTime: 60_000 }),
    enabled: ask !== null && ((ask.indices?.length ?? 0) > 0 || (ask.imageIds?.length ?? 0) > 0),
  });
}

/** Fetches details of any number of points, page by page (exports, search answers): on demand, never up front. */
export function useDetailsFetcher(runId: string) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return useCallback(
    async (ask: { indices?: readonly number[]; imageIds?: readonly string[] }): Promise<AnalysisPoint[]> => {
      const pages: { indices?: number[]; imageIds?: string[] }[] = [];
      const indices = ask.indices ?? [];
      const imageIds = ask.imageIds ?? [];
      for (let i = 0; i < indices.length; i += DETAILS_PAGE)
        pages.push({ indices: indices.slice(i, i + DETAILS_PAGE) });
      for (let i = 0; i < imageIds.length; i += DETAILS_PAGE)
        pages.push({ imageIds: imageIds.slice(i, i + DETAILS_PAGE) });
      const answers = await Promise.all(
        pages.map((page) =>
          queryClient.fetchQuery(
            trpc.explorer.pointDetails.queryOptions({ runId, ...page }, { staleTime: 60_000 }),
          ),
        ),
      );
      return answers.flat();
    },
    [queryClient, trpc, runId],
  );
}
