"use client";

import { type ReactNode, useState } from "react";

/**
 * A delete button that first shows what goes (`describe`, loaded when asked) and deletes only on a second,
 * explicit confirmation.
 */
export function ConfirmDelete(props: {
  label: string;
  testId: string;
  /** What the deletion removes and keeps, shown before confirming; null while it loads. */
  summary: ReactNode | null;
  onOpen: () => void;
  onConfirm: () => void;
  isDeleting: boolean;
  error: string | null;
}) {
  const [isOpen, setIsOpen] = useState(false);
  if (!isOpen) {
    return (
      <button
        type="button"
        data-testid={props.testId}
        onClick={() => {
          props.onOpen();
          setIsOpen(true);
        }}
        className="rounded border border-bad/60 px-3 py-1 text-bad text-sm hover:bg-bad/10"
      >
        {props.label}
      </button>
    );
  }
  return (
    <div
      role="alertdialog"
      aria-label={props.label}
      data-testid={`${props.testId}-confirm`}
      className="space-y-2 rounded border border-bad/60 bg-panel p-3 text-sm"
    >
      {props.summary ?? <p className="animate-pulse text-muted">Working out what goes…</p>}
      {props.error !== null ? (
        <p role="alert" className="text-bad">
          {props.error}
        </p>
      ) : null}
      <div className="flex gap-2">
        <button
          type="button"
          disabled={props.summary === null || props.isDeleting}
          onClick={props.onConfirm}
          className="rounded bg-bad px-3 py-1 font-medium text-black disabled:opacity-50"
        >
          {props.isDeleting ? "Deleting…" : "Delete for good"}
        </button>
        <button
          type="button"
          onClick={() => setIsOpen(false)}
          className="rounded border border-line px-3 py-1"
        >
          Keep it
        </button>
      </div>
    </div>
  );
}
