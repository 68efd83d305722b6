import Link from "next/link";

/** Unknown runs, images and datasets (and any unknown address) end here, with an HTTP 404. */
export default function NotFound() {
  return (
    <div className="space-y-3" data-testid="not-found">
      <h1 className="font-semibold text-2xl tracking-tight">Not found</h1>
      <p className="text-muted">
        Nothing is stored at this address: the run, image or dataset may have been deleted, or the link is
        mistyped.
      </p>
      <Link
        href="/"
        className="inline-block rounded border border-line px-3 py-1 text-sm hover:border-accent"
      >
        ← Back to datasets &amp; runs
      </Link>
    </div>
  );
}
