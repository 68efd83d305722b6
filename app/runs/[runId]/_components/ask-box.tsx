"use client";

import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { useTRPC } from "~/app/_trpc/react";

/** A question to the Florence-VL language model about one image, answered live by the inference server. */
export function AskBox({ runId, imageSha256 }: { runId: string; imageSha256: string }) {
  const trpc = useTRPC();
  const inputId = useId();
  const [question, setQuestion] = useState("");
  const ask = useMutation(trpc.imageView.ask.mutationOptions());
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (question.trim().length > 0) ask.mutate({ runId, imageSha256, question });
  };
  return (
    <form onSubmit={submit} data-testid="ask-box" className="space-y-1 text-sm">
      <div className="flex gap-2">
        <label htmlFor={inputId} className="sr-only">
          Ask the language model about this image
        </label>
        <input
          id={inputId}
          value={question}
          onChange={(event) => setQuestion(event.target.value)}
          maxLength={500}
          placeholder="Ask about this image…"
          className="min-w-0 flex-1 rounded border border-line bg-surface px-2 py-1 text-white"
        />
        <button
          type="submit"
          disabled={ask.isPending || question.trim().length === 0}
          className="rounded border border-line px-2 py-1 hover:border-accent disabled:opacity-50"
        >
          {ask.isPending ? "Asking…" : "Ask"}
        </button>
      </div>
      <div aria-live="polite">
        {ask.isError ? (
          <p role="alert" className="text-bad">
            {ask.error.message}
          </p>
        ) : ask.data ? (
          <p data-testid="ask-answer">
            <span className="text-muted">A: </span>
            {ask.data.text || <em className="text-muted">(an empty answer)</em>}
          </p>
        ) : null}
      </div>
    </form>
  );
}
