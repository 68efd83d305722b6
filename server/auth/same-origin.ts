/**
 * CSRF defence for cookie-authenticated requests: a browser names the page that sent a request in `Origin`
 * (always on cross-origin POSTs) and `Sec-Fetch-Site`; a request another site made carries that site's origin,
 * which cannot be forged from a page. Clients outside browsers (the CLI, tests, curl) send neither and carry no
 * session cookie unless they were given one.
 */

/** `http(s)://host[:port]` of the server as the request addressed it (its Host header). */
export function requestOrigin(request: Request): string {
  const url = new URL(request.url);
  const host = request.headers.get("host") ?? url.host;
  return `${url.protocol}//${host}`;
}

/** Whether a request may change state: it comes from a page of this origin, or from no browser page at all. */
export function isSameOriginRequest(request: Request): boolean {
  const origin = request.headers.get("origin");
  if (origin !== null) return isSameHost(origin, request);
  const site = request.headers.get("sec-fetch-site");
  return site === null || site === "same-origin" || site === "none";
}

// Behind a TLS-terminating proxy the request reaches Node as http: compare hosts, not schemes.
function isSameHost(origin: string, request: Request): boolean {
  try {
    return new URL(origin).host === new URL(requestOrigin(request)).host;
  } catch {
    return false;
  }
}
