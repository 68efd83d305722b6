import fs from "node:fs/promises";
import path from "node:path";
import { ROOT } from "./processes";

const DEMO = path.join(ROOT, "demo", "florence-vl-mini-scenes");

/**
 * The first `count` demo scenes with their manifest lines, copied into `<work>/scenes`: a small dataset that two
 * `fvl encode` runs of the same folder share (the second run is on the same images).
 */
export async function copyDemoScenes(work: string, count: number): Promise<string> {
  const folder = path.join(work, "scenes");
  await fs.mkdir(folder);
  const manifest = (await fs.readFile(path.join(DEMO, "manifest.jsonl"), "utf8"))
    .trim()
    .split("\n")
    .slice(0, count);
  for (const line of manifest) {
    const file = (JSON.parse(line) as { file: string }).file;
    await fs.copyFile(path.join(DEMO, file), path.join(folder, file));
  }
  await fs.writeFile(path.join(folder, "manifest.jsonl"), `${manifest.join("\n")}\n`);
  return folder;
}
