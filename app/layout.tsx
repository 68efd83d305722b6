import type { Metadata } from "next";
import type { ReactNode } from "react";
import { AppShell } from "./_components/app-shell";
import { TRPCReactProvider } from "./_trpc/react";
import "./globals.css";

export const metadata: Metadata = {
  title: "Florence-VL Lens",
  description: "Study Florence-VL's depth and breadth features on your own images.",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen font-sans antialiased">
        <TRPCReactProvider>
          <AppShell>{children}</AppShell>
        </TRPCReactProvider>
      </body>
    </html>
  );
}
