/** A file-name part from free text: "UMAP of demo · breadth:<OCR>" → "umap-of-demo-breadth-ocr". */
export function slug(text: string): string {
  return (
    text
      .replace(/[^A-Za-z0-9]+/g, "-")
      .replace(/^-|-$/g, "")
      .toLowerCase() || "figure"
  );
}
