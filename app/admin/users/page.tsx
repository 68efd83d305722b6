import type { Metadata } from "next";
import { UsersAdmin } from "./_components/users-admin";

export const metadata: Metadata = { title: "Accounts · Florence-VL Lens" };

/** Administrators: the lab's accounts and the audit log. The procedures behind it are admin-only. */
export default function UsersPage() {
  return (
    <div className="space-y-6">
      <h1 className="font-semibold text-2xl tracking-tight">Accounts</h1>
      <UsersAdmin />
    </div>
  );
}
