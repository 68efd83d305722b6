import { strFromU8, unzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { buildCsv } from "~/lib/viz/figure-csv";
import { buildFigurePack } from "~/lib/viz/figure-pack";
import { buildFigureSvg, escapeXml } from "~/lib/viz/figure-svg";
import { slug } from "~/lib/viz/file-name";

const legend = [
  { label: "red <1>", colour: "#ff0000", count: 2 },
  { label: "blue", colour: "#0000ff", count: 1 },
];
const panel = (title: string) => ({
  title,
  subtitle: "trustworthiness 0.90",
  coords: Float32Array.from([-1, 1, 0, 0, 1, -1]),
  codes: Uint16Array.from([0, 0, 1]),
  selected: null as ReadonlySet<number> | null,
});

describe("figures", () => {
  it("lays out panels in a grid with titles, a legend and every point", () => {
    const figure = buildFigureSvg({
      title: "UMAP of run & co",
      subtitle: "3 images",
      panels: [panel("depth:V"), panel("fused")],
      legendTitle: "label colour",
      legend,
    });
    expect(figure.width).toBe(24 * 2 + 2 * 300 + 20 + 20 + 220);
    expect(figure.height).toBe(24 * 2 + 56 + 34 + 300);
    expect(figure.svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(figure.svg).toContain(`width="${figure.width}" height="${figure.height}"`);
    // Three points per panel at radius 3 (legend markers have radius 5).
    expect(figure.svg.match(/r="3.00"/g)).toHaveLength(6);
    expect(figure.svg).toContain("UMAP of run &#38; co");
    expect(figure.svg).toContain("red &#60;1&#62;");
    // Panel corners: x=-1 → 0 px, y=1 → top (0 px); x=1 → 300 px, y=-1 → bottom.
    expect(figure.svg).toContain('cx="0.0" cy="0.0"');
    expect(figure.svg).toContain('cx="300.0" cy="300.0"');
  });

  it("fades unselected points and draws selected ones on top", () => {
    const { svg } = buildFigureSvg({
      title: "t",
      subtitle: "",
      panels: [{ ...panel("fused"), selected: new Set([2]) }],
      legendTitle: "",
      legend,
    });
    const faded = svg.indexOf('fill-opacity="0.12"');
    const selected = svg.indexOf('fill="#0000ff" fill-opacity="0.9"');
    expect(faded).toBeGreaterThan(0);
    expect(selected).toBeGreaterThan(faded);
    expect(escapeXml(`"'`)).toBe("&#34;&#39;");
    const long = "breadth:<DENSE_REGION_CAPTION> with a longer name";
    const titled = buildFigureSvg({
      title: "t",
      subtitle: "",
      panels: [panel(long)],
      legendTitle: "",
      legend,
    });
    expect(titled.svg).toContain(`<title>${escapeXml(long)}</title>`);
    expect(titled.svg).toContain(`${escapeXml(long.slice(0, 37))}…</text>`);
  });

  it("writes RFC 4180 CSV that cannot smuggle formulas", () => {
    const csv = buildCsv(
      ["id", "caption", "x"],
      [
        ["a", 'says "hi", twice', 1.5],
        ["b", "=HYPERLINK()", null],
      ],
    );
    expect(csv).toBe('id,caption,x\r\na,"says ""hi"", twice",1.5\r\nb,\'=HYPERLINK(),\r\n');
  });

  it("zips a figure pack deterministically", () => {
    const files = { "README.txt": "hello", "a.png": Uint8Array.from([137, 80, 78, 71]) };
    const zip = buildFigurePack(files);
    expect(Array.from(buildFigurePack(files))).toEqual(Array.from(zip));
    const unzipped = unzipSync(zip);
    expect(strFromU8(unzipped["README.txt"] as Uint8Array)).toBe("hello");
    expect(Array.from(unzipped["a.png"] as Uint8Array)).toEqual([137, 80, 78, 71]);
  });
});

describe("file names", () => {
  it("keeps letters and digits, joins the rest with single dashes", () => {
    expect(slug("UMAP of demo · breadth:<OCR>")).toBe("umap-of-demo-breadth-ocr");
    expect(slug("<>")).toBe("figure");
  });
});
