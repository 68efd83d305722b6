import fs from "node:fs/promises";
import path from "node:path";
import zlib from "node:zlib";
import { readFixtures } from "./engine-fixtures";
import { PARITY_FIXTURES_DIR } from "./mini-model-paths";

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
  const data = Buffer.from(`Comment\0${text}`, "latin1");
  const body = Buffer.concat([Buffer.from("tEXt", "ascii"), data]);
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  body.copy(chunk, 4);
  chunk.writeUInt32BE(zlib.crc32(body), 8 + data.length);
  return Buffer.concat([png.subarray(0, png.length - 12), chunk, png.subarray(png.length - 12)]);
}

/** A PNG whose header claims `width`×`height` pixels but carries almost no data (a decompression bomb). */
export function pngHeaderOnly(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const out = Buffer.alloc(8 + data.length + 4);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(zlib.crc32(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", zlib.deflateSync(Buffer.alloc(16))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
