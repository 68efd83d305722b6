/** One image of a similar-images or text-search answer, nearest first. */
export interface SearchHit {
  imageId: string;
  sha256: string;
  fileName: string;
  caption: string | null;
  /** Cosine distance 1 − cos to the query (0: the same direction). */
  distance: number;
}

/** How an answer was found, for the panel's footnote and the benchmark. */
export interface SearchStats {
  source: string;
  method: "exact" | "hnsw";
  /** Images in the index. */
  indexed: number;
  /** Loading and normalising the vectors, when this answer did it; 0 when the index was cached. */
  loadMs: number;
  searchMs: number;
}
