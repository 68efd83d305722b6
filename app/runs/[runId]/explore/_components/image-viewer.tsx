"use client";

import { type ReactNode, useEffect, useRef } from "react";

interface ViewedImage {
  sha256: string;
  fileName: string;
  caption: string | null;
  /** Task prompt → answer text. */
  answers: Record<string, string>;
}

/**
 * The opened image at full size with its caption and answers, in a modal dialog (Escape closes it); `children`
 * (the similar-images panel) go under them.
 */
export function ImageViewer({
  image,
  onClose,
  children,
}: {
  image: ViewedImage;
  onClose: () => void;
  children?: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog !== null && !dialog.open) dialog.showModal();
  }, []);
  return (
    <dialog
      ref={ref}
      data-testid="image-viewer"
      onClose={onClose}
      aria-label={image.fileName}
      className="m-auto max-h-[90vh] w-[min(56rem,92vw)] rounded-lg border border-line bg-panel p-0 text-inherit backdrop:bg-black/70"
    >
      <div className="flex items-center justify-between border-line border-b px-4 py-2">
        <h2 className="truncate font-medium">{image.fileName}</h2>
        <button
          type="button"
          onClick={() => ref.current?.close()}
          className="rounded border border-line px-2 py-0.5 text-sm hover:border-accent"
        >
          Close
        </button>
      </div>
      <div className="grid gap-4 p-4 sm:grid-cols-[1fr_18rem]">
        {/* biome-ignore lint/performance/noImgElement: the original bytes, served sandboxed by /api/images. */}
        <img
          src={`/api/images/${image.sha256}/original`}
          alt={image.caption ?? image.fileName}
          className="max-h-[70vh] w-full bg-black object-contain"
        />
        <div className="space-y-2 text-sm">
          {image.caption ? <p>{image.caption}</p> : <p className="text-muted">No caption.</p>}
          {Object.entries(image.answers).map(([prompt, text]) => (
            <p key={prompt}>
              <span className="text-muted">{prompt}: </span>
              {text || <em className="text-muted">(empty)</em>}
            </p>
          ))}
        </div>
      </div>
      {children ? <div className="border-line border-t p-4">{children}</div> : null}
    </dialog>
  );
}
