import Link from "next/link";

const COPY: Record<"unknown" | "revoked" | "expired", { title: string; body: string }> = {
  revoked: {
    title: "This link has been revoked",
    body: "Whoever shared it has withdrawn it. Ask them for a new link if you still need the view.",
  },
  expired: {
    title: "This link has expired",
    body: "It was shared for a limited time. Ask whoever shared it for a new link.",
  },
  unknown: {
    title: "This link does not exist",
    body: "Check that it was copied completely. Links are long and cannot be guessed.",
  },
};

/** The page of a link that does not open: says why, and nothing about the view behind it. */
export function LinkUnavailable({ reason }: { reason: keyof typeof COPY }) {
  const copy = COPY[reason];
  return (
    <section
      data-testid="link-unavailable"
      data-reason={reason}
      className="mx-auto mt-16 max-w-lg rounded-lg border border-line bg-panel p-8 text-center"
    >
      <h1 className="font-semibold text-xl">{copy.title}</h1>
      <p className="mt-2 text-muted text-sm">{copy.body}</p>
      <Link href="/" className="mt-6 inline-block text-accent text-sm hover:underline">
        Go to the dashboard
      </Link>
    </section>
  );
}
