import { type Browser, chromium, type Locator } from "playwright-core";
import { waitUntil } from "./processes";

// Debian's chromium; the flags keep it off the (closed) network and sandbox-free as root in CI.
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
}

/**
 * Ticks a checkbox whose state lives in the page's URL (useUrlState). Playwright's `check()` reads the box right
 * after its click, but the page renders it checked only once the history change reaches useSearchParams, a tick
 * later on a busy machine ("Clicking the checkbox did not change its state"): click, then wait for the state.
 */
export async function checkUrlStateBox(box: Locator): Promise<void> {
  await box.click();
  await waitUntil(() => box.isChecked(), 10_000, "the checkbox checked");
}
