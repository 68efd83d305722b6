import type { Page } from "playwright-core";

// Pointer moves of a lasso loop; each one redraws the panel, so their average time is the frame time.
const LASSO_MOVES = 48;

/**
 * Draws a lasso loop around the left half of a panel's canvas with the lasso tool, closing where it started (as people
 * do). Returns the mean time per pointer move (each redraws the panel) and when the button was released.
 */
export async function lassoLeftHalfOf(
  page: Page,
  panelIndex: number,
  /** How much of the panel's width the loop spans from its left edge (a half by default, all of it with 1). */
  width = 0.5,
): Promise<{ moveMs: number; releasedAt: number }> {
  await page.keyboard.press("l");
  const box = await page.getByTestId("projection-panel").nth(panelIndex).locator("canvas").boundingBox();
  if (box === null) throw new Error("panel canvas not visible");
  // The view is fitted to the points, so some lie left of the centre line and some right of it, whatever the
  // layout: a lasso around the left half selects some points but never all of them.
  const inset = 4;
  const left = box.x + inset;
  const middle = Math.min(box.x + box.width * width, box.x + box.width - inset);
  const top = box.y + inset;
  const bottom = box.y + box.height - inset;
  // The loop's sides, each from one corner to the next: top edge, centre line, bottom edge, left edge.
  const sides: [number, number, number, number][] = [
    [left, top, middle, top],
    [middle, top, middle, bottom],
    [middle, bottom, left, bottom],
    [left, bottom, left, top],
  ];
  const movesPerSide = LASSO_MOVES / sides.length;
  await page.mouse.move(left, top);
  await page.mouse.down();
  const started = Date.now();
  for (const [x0, y0, x1, y1] of sides) {
    for (let step = 1; step <= movesPerSide; step++) {
      const f = step / movesPerSide;
      await page.mouse.move(x0 + (x1 - x0) * f, y0 + (y1 - y0) * f);
    }
  }
  const moveMs = (Date.now() - started) / LASSO_MOVES;
  await page.mouse.up();
  const releasedAt = Date.now();
  // Off the panels, so no hover highlight adds white pixels.
  await page.mouse.move(1, 1);
  return { moveMs, releasedAt };
}
