/** Saves bytes or text as a file through the browser's download prompt. */
export function downloadFile(name: string, content: Blob | string | Uint8Array, type: string): void {
  const blob =
    content instanceof Blob
      ? content
      : new Blob([typeof content === "string" ? content : new Uint8Array(content)], { type });
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  // The download has started by now; the URL is no longer needed.
  setTimeout(() => URL.revokeObjectURL(url), 1_000);
}
