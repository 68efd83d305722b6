import type { Metadata } from "next";
import { WorkersTable } from "./_components/workers-table";

export const metadata: Metadata = { title: "Workers · Florence-VL Lens" };

/** The job workers (`npm run worker`, one per machine or GPU) and what each is doing, refreshed every few seconds. */
export default function WorkersPage() {
  return (
    <div className="space-y-6">
      <h1 className="font-semibold text-2xl tracking-tight">Workers</h1>
      <WorkersTable />
    </div>
  );
}
