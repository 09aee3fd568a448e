/**
 * Registry host names: Docker Hub's aliases, the API endpoint and credential key it uses, and which
 * hosts default to plain http (loopback, as Docker does). Pure: no I/O.
 */

export const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);
/** Docker Hub's API endpoint: docker.io itself only redirects. */
export const DOCKER_HUB_ENDPOINT = 'registry-1.docker.io';
/** The key docker login writes Docker Hub credentials under, kept for compatibility. */
export const DOCKER_HUB_CREDENTIAL_KEY = 'https://index.docker.io/v1/';

/** The one place Docker Hub's host aliases are folded into `docker.io`. */
export function canonicalHost(host: string): string {
  const lower = host.toLowerCase();
  return DOCKER_HUB_ALIASES.has(lower) ? DOCKER_HUB : lower;
}

export function isDockerHub(host: string): boolean {
  return canonicalHost(host) === DOCKER_HUB;
}

/** host[:port] to send API requests to. */
export function apiHost(host: string): string {
  return isDockerHub(host) ? DOCKER_HUB_ENDPOINT : host;
}

/** Key under which docker config stores credentials for this host. */
export function credentialKey(host: string): string {
  return isDockerHub(host) ? DOCKER_HUB_CREDENTIAL_KEY : host;
}

/** Strips the port: "127.0.0.1:5000" → "127.0.0.1", "[::1]:5000" → "::1". */
export function hostName(host: string): string {
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  const colon = host.lastIndexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

/** localhost, 127.0.0.0/8 and ::1 talk plain http by default, like Docker; nothing else does. */
export function isLoopbackHost(host: string): boolean {
  const name = hostName(host).toLowerCase();
  return name === 'localhost' || name === '::1' || /^127(\.\d{1,3}){3}$/.test(name);
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1']);

/**
 * One name per registry for "is this the same registry?" questions (write authority): Docker Hub's
 * aliases folded, localhost / 127.0.0.1 / [::1] folded, and the default ports :443 and :80 dropped.
 * Deliberately generous: it only ever makes a write refusal match more names, so an alias cannot
 * walk around a rule. Not for building URLs (the port still matters for connecting).
 */
export function hostIdentity(host: string): string {
  let lower = canonicalHost(host);
  let port = '';
  const bracket = lower.startsWith('[') ? lower.indexOf(']') : -1;
  const colon = bracket !== -1 ? lower.indexOf(':', bracket) : lower.indexOf(':') === lower.lastIndexOf(':') ? lower.lastIndexOf(':') : -1;
  if (colon !== -1) {
    port = lower.slice(colon + 1);
    lower = lower.slice(0, colon);
  }
  let name = lower.startsWith('[') ? lower.slice(1, -1) : lower;
  if (LOOPBACK_NAMES.has(name)) name = 'localhost';
  if (port === '443' || port === '80') port = '';
  const shown = name.includes(':') ? `[${name}]` : name;
  return canonicalHost(port ? `${shown}:${port}` : shown);
}
