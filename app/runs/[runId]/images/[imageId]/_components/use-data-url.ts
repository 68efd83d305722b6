"use client";

import { useEffect, useState } from "react";

/**
 * A same-origin image as a data URL: SVG drawn into a canvas for PNG export may not load external images, so
 * figures embed the photo itself. null while loading (or when it cannot be read: the maps still show).
 */
/** `url` may be "" while the image is not known yet. */
export function useDataUrl(url: string): string | null {
  const [dataUrl, setDataUrl] = useState<string | null>(null);
  useEffect(() => {
    let isCurrent = true;
    setDataUrl(null);
    if (url === "") return;
    void fetch(url)
      .then((response) => (response.ok ? response.blob() : Promise.reject(new Error(response.statusText))))
      .then(
        (blob) =>
          new Promise<string>((resolve, reject) => {
            const reader = new FileReader();
            reader.onload = () => resolve(String(reader.result));
            reader.onerror = () => reject(reader.error);
            reader.readAsDataURL(blob);
          }),
      )
      .then((result) => isCurrent && setDataUrl(result))
      .catch(() => undefined);
    return () => {
      isCurrent = false;
    };
  }, [url]);
  return dataUrl;
}
