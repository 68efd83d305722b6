import { AppError } from "~/server/app-error";
import type { Db } from "~/server/store/db";
import { runSettingsSchema } from "./run-settings";

/** The run's kept sources and prompts; NOT_FOUND for an unknown run. */
export async function keptSourcesOf(
  db: Db,
  runId: string,
): Promise<{ sources: string[]; prompts: string[] }> {
  const run = await db.run.findUnique({
    where: { id: runId },
    select: { prompts: true, sources: true, questions: true, dtype: true },
  });
  if (run === null) throw new AppError("NOT_FOUND", `No run ${runId}.`);
  const settings = runSettingsSchema.parse(run);
  return { sources: settings.sources, prompts: settings.prompts };
}

export function assertKeptSource(kept: readonly string[], source: string): void {
  if (!kept.includes(source)) {
    throw new AppError("BAD_INPUT", `This run keeps no source "${source}"; it keeps ${kept.join(", ")}.`);
  }
}
