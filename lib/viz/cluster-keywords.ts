import { type ColourablePoint, NO_CLUSTER } from "./colour-by";

// Words that say nothing about an image's content, and the shortest word kept.
const STOP_WORDS = new Set(
  "a an the and or of in on at to with without for from by is are was were be been this that these those it its there here image picture photo shows showing of some one two three has have".split(
    " ",
  ),
);
const MIN_WORD_LENGTH = 3;

// The model's own description of an image: its caption answers, most detailed first.
const CAPTION_TASKS = ["<MORE_DETAILED_CAPTION>", "<DETAILED_CAPTION>", "<CAPTION>"];

/** What a cluster is named from per image: the model's caption, else the dataset's caption, else its labels. */
export function clusterText(point: ColourablePoint): string | null {
  for (const task of CAPTION_TASKS) {
    const answer = point.tasks[task];
    if (answer?.trim()) return answer;
  }
  if (point.caption?.trim()) return point.caption;
  const labels = Object.values(point.labels).filter((value) => typeof value === "string");
  return labels.length > 0 ? labels.join(" ") : null;
}

/** Lower-case content words of a text (letters and digits, Unicode-aware), stop words dropped. */
export function contentWords(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter(
    (word) => word.length >= MIN_WORD_LENGTH && !STOP_WORDS.has(word),
  );
}

/**
 * The words that distinguish each cluster's texts from the rest: class-based tf-idf (each cluster's texts as one
 * document; a word's frequency in the cluster, weighted by log(1 + mean words per cluster / its frequency over
 * all clusters)), the `top` best per cluster, ties by name. Clusters without text get no words.
 */
export function clusterKeywords(
  texts: readonly (string | null)[],
  clusters: Uint16Array,
  k: number,
  top = 3,
): string[][] {
  const counts = Array.from({ length: k }, () => new Map<string, number>());
  const totals = new Float64Array(k);
  const overall = new Map<string, number>();
  texts.forEach((text, i) => {
    const cluster = clusters[i] ?? NO_CLUSTER;
    if (text === null || cluster === NO_CLUSTER || cluster >= k) return;
    const words = counts[cluster] as Map<string, number>;
    for (const word of contentWords(text)) {
      words.set(word, (words.get(word) ?? 0) + 1);
      overall.set(word, (overall.get(word) ?? 0) + 1);
      totals[cluster] = (totals[cluster] ?? 0) + 1;
    }
  });
  const meanWords = totals.reduce((sum, t) => sum + t, 0) / Math.max(1, k);
  return counts.map((words, cluster) => {
    const total = totals[cluster] ?? 0;
    if (total === 0) return [];
    return [...words.entries()]
      .map(([word, count]) => ({
        word,
        score: (count / total) * Math.log(1 + meanWords / (overall.get(word) ?? 1)),
      }))
      .sort((a, b) => b.score - a.score || (a.word < b.word ? -1 : a.word > b.word ? 1 : 0))
      .slice(0, top)
      .map((entry) => entry.word);
  });
}

// Clusters are named from at most this many points' texts (the server's limit per request; the indices travel in
// a GET URL, which stays under the web server's header limit).
export const CLUSTER_SAMPLE = 1_000;

/**
 * The points a clustering is named from: every clustered point up to CLUSTER_SAMPLE, else an even stride over
 * them, with their clusters (the texts are fetched for these indices only).
 */
export function clusterSample(
  clusters: Uint16Array,
  limit = CLUSTER_SAMPLE,
): { indices: Uint32Array; clusters: Uint16Array } {
  let clustered = 0;
  for (const cluster of clusters) if (cluster !== NO_CLUSTER) clustered++;
  const stride = Math.max(1, Math.ceil(clustered / limit));
  const indices: number[] = [];
  let seen = 0;
  clusters.forEach((cluster, index) => {
    if (cluster === NO_CLUSTER) return;
    if (seen++ % stride === 0) indices.push(index);
  });
  return {
    indices: Uint32Array.from(indices),
    clusters: Uint16Array.from(indices, (index) => clusters[index] as number),
  };
}
