/**
 * URLs as they may appear in logs and errors: no userinfo, and query values that can carry secrets
 * (upload state, pre-signed storage signatures, tokens) replaced. Only parameters known to be harmless
 * keep their values, so an unknown storage backend's signature is never printed.
 */

const SAFE_PARAMS = new Set(['digest', 'mount', 'from', 'n', 'last', 'service', 'scope', 'artifactType']);

export function redactUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return '<invalid url>';
  }
  url.username = '';
  url.password = '';
  const params = [...url.searchParams.keys()];
  if (params.length > 0) {
    const kept = new URLSearchParams();
    for (const key of new Set(params)) {
      for (const value of url.searchParams.getAll(key)) kept.append(key, SAFE_PARAMS.has(key) ? value : 'REDACTED');
    }
    url.search = kept.toString();
  }
  return url.toString();
}
