import fs from "node:fs/promises";
import path from "node:path";
import { readFixtures } from "./engine-fixtures";
import { PARITY_FIXTURES_DIR } from "./mini-model-paths";
import { pngChunk } from "./png-bytes";

/** The held-out scene PNGs of the parity fixtures, copied `count` times (with distinct bytes) into `dir`. */
export async function writeSceneImages(dir: string, count: number): Promise<string[]> {
  await fs.mkdir(dir, { recursive: true });
  const fixtures = await readFixtures(PARITY_FIXTURES_DIR);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const fixture = fixtures[i % fixtures.length];
    if (fixture === undefined) throw new Error("no fixtures");
    const png = await fs.readFile(path.join(PARITY_FIXTURES_DIR, fixture.image));
    const name = `scene-${String(i).padStart(3, "0")}.png`;
    // A trailing comment chunk (tEXt) makes each copy a distinct file without changing its pixels.
    await fs.writeFile(path.join(dir, name), withTextChunk(png, `copy ${i}`));
    names.push(name);
  }
  return names;
}

/** Inserts a PNG tEXt chunk before IEND. */
function withTextChunk(png: Buffer, text: string): Buffer {
  const chunk = pngChunk("tEXt", Buffer.from(`Comment\0${text}`, "latin1"));
  return Buffer.concat([png.subarray(0, png.length - 12), chunk, png.subarray(png.length - 12)]);
}
