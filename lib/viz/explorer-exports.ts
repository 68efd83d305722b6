import type { Categories } from "./categories";
import { buildCsv } from "./figure-csv";
import type { FigureSpec } from "./figure-svg";
import { type DecodedPanel, describeQuality, type IndexSet, rowsOfPoints, valuesForRows } from "./panels";

/** What an export needs of each point of the run. */
export interface ExportPoint {
  imageId: string;
  fileName: string;
  caption: string | null;
}

/** The explorer's figure: the given panels in the shared frame, coloured and with the selection highlighted. */
export function explorerFigure(options: {
  title: string;
  subtitle: string;
  panels: readonly DecodedPanel[];
  categories: Categories;
  legendTitle: string;
  selected: IndexSet;
}): FigureSpec {
  return {
    title: options.title,
    subtitle: options.subtitle,
    legendTitle: options.legendTitle,
    legend: options.categories.legend,
    panels: options.panels.map((panel) => ({
      title: panel.title,
      subtitle: describeQuality(panel.quality),
      coords: panel.coords,
      codes: valuesForRows(panel, options.categories.codes),
      selected: options.selected.size > 0 ? new Set(rowsOfPoints(panel, options.selected)) : null,
    })),
  };
}

/** The data behind a figure: one row per panel and point, with the aligned coordinates as computed. */
export function explorerCsv(options: {
  panels: readonly DecodedPanel[];
  /** Each point's names (fetched for the export). */
  detailsOf: (index: number) => ExportPoint | undefined;
  categories: Categories;
  selected: IndexSet;
}): string {
  const header = [
    "source",
    "projection_id",
    "image_id",
    "file_name",
    "x",
    "y",
    "colour",
    "selected",
    "caption",
  ];
  function* rows() {
    for (const panel of options.panels) {
      for (let row = 0; row < panel.pointIndex.length; row++) {
        const index = panel.pointIndex[row] as number;
        const point = options.detailsOf(index);
        const code = options.categories.codes[index] as number;
        yield [
          panel.title,
          panel.projectionId,
          point?.imageId ?? "",
          point?.fileName ?? "",
          panel.raw[2 * row] as number,
          panel.raw[2 * row + 1] as number,
          options.categories.legend[code]?.label ?? "",
          options.selected.has(index),
          point?.caption ?? null,
        ];
      }
    }
  }
  return buildCsv(header, rows());
}
