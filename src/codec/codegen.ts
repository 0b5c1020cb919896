/**
 * Whether this runtime lets code be compiled from strings (`new Function`) for as long as it runs,
 * which cbor-x's fast record readers need. Asked once, when the codec module loads.
 *
 * No in Cloudflare workerd, which allows it while a Worker starts and forbids it during requests,
 * so that trying it at start-up would answer yes; no where a Content-Security-Policy without
 * `'unsafe-eval'` or an edge runtime forbids it outright; yes in Node, Deno, Bun and browsers
 * otherwise.
 *
 * @example
 * const encoder = new Encoder(canGenerateCode() ? { useRecords: true, structures: [] } : { useRecords: false });
 */
export function canGenerateCode(): boolean {
  // workerd names itself so (`navigator.userAgent`), the documented way to tell a Worker apart.
  if (globalThis.navigator?.userAgent === "Cloudflare-Workers") return false;
  try {
    return new Function("return true")() === true;
  } catch {
    return false;
  }
}
