import Link from "next/link";
import type { ReactNode } from "react";
import { AccountStatus } from "./account-status";
import { InferenceStatus } from "./inference-status";

/** Header with the product name, the live inference-server status and the access-control mode, then the page. */
export function AppShell({ children }: { children: ReactNode }) {
  return (
    <div className="flex min-h-screen flex-col">
      <header className="flex items-center justify-between border-line border-b bg-panel px-6 py-3">
        <nav aria-label="Main" className="flex items-center gap-6">
          <Link href="/" className="font-semibold tracking-tight">
            Florence-VL <span className="text-accent">Lens</span>
          </Link>
          <Link href="/" className="text-muted text-sm hover:text-white">
            Datasets &amp; runs
          </Link>
          <Link href="/workers" className="text-muted text-sm hover:text-white">
            Workers
          </Link>
          <Link href="/models" className="text-muted text-sm hover:text-white">
            Models
          </Link>
        </nav>
        <div className="flex items-center gap-4">
          <InferenceStatus />
          <AccountStatus />
        </div>
      </header>
      <main className="mx-auto w-full max-w-6xl flex-1 px-6 py-8">{children}</main>
    </div>
  );
}
