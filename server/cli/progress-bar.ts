/** A one-line terminal progress bar with counts, rate and ETA (redrawn in place on a TTY, one line per update otherwise). */
export function renderProgress(
  progress: { done: number; failed: number; total: number },
  startedAt: number,
  width = 30,
): string {
  const finished = progress.done + progress.failed;
  const fraction = progress.total === 0 ? 1 : finished / progress.total;
  const filled = Math.round(fraction * width);
  const elapsedS = (Date.now() - startedAt) / 1000;
  const rate = elapsedS > 0 ? finished / elapsedS : 0;
  const etaS = rate > 0 ? (progress.total - finished) / rate : Number.NaN;
  const eta = Number.isFinite(etaS) ? `${Math.ceil(etaS)}s left` : "estimating";
  const failed = progress.failed > 0 ? `, ${progress.failed} failed` : "";
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${finished}/${progress.total} (${rate.toFixed(2)} img/s, ${eta}${failed})`;
}

export function printProgress(line: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r${line}`);
  else process.stderr.write(`${line}\n`);
}
