/**
 * Environment overlays: the same registry names, other endpoints and credentials (a `test`
 * environment next to `production`). Applied after defaults so the predefined Docker Hub upstream
 * can be overridden too. Moved values keep reporting at the overlay's line.
 */
import type { Diagnostic } from './diagnostic.js';
import type { Endpoint, Topology } from './model.js';
import { endpointFromUrl, normaliseCredentials } from './normalise.js';
import type { SourcePositions } from './positions.js';
import type { EndpointOverride } from './schema.js';
import { didYouMean } from './suggest.js';

export const UNKNOWN_ENVIRONMENT_RULE = 'unknown-environment';

export interface OverlayResult {
  config: Topology;
  diagnostics: Diagnostic[];
}

export function applyEnvironment(config: Topology, name: string | undefined, positions: SourcePositions): OverlayResult {
  if (name === undefined) return { config, diagnostics: [] };
  const overlay = config.environments[name];
  if (!overlay) {
    const known = Object.keys(config.environments);
    const list = known.length > 0 ? `; known: ${known.join(', ')}` : '; this file defines no environments';
    const message = `unknown environment "${name}"${didYouMean(name, known)}${list}`;
    return { config, diagnostics: [{ rule: UNKNOWN_ENVIRONMENT_RULE, severity: 'error', message, ...positions.keyAt(['environments']) }] };
  }

  const registries = { ...config.registries };
  for (const [registry, override] of Object.entries(overlay.registries ?? {})) {
    const base = registries[registry];
    // Unknown names are reported by the unknown-registry-reference rule, for every environment.
    if (!base) continue;
    registries[registry] = { ...base, ...overrideEndpoint(override) };
    redirect(positions, ['registries', registry], ['environments', name, 'registries', registry], override);
  }
  const upstreams = { ...config.upstreams };
  for (const [upstream, override] of Object.entries(overlay.upstreams ?? {})) {
    const base = upstreams[upstream];
    if (!base) continue;
    upstreams[upstream] = { ...base, ...overrideEndpoint(override) };
    redirect(positions, ['upstreams', upstream], ['environments', name, 'upstreams', upstream], override);
  }
  return { config: { ...config, environment: name, registries, upstreams }, diagnostics: [] };
}

function overrideEndpoint(override: EndpointOverride): Partial<Endpoint> {
  return {
    ...(override.url !== undefined && endpointFromUrl(override.url)),
    ...(override.credentials !== undefined && { credentials: normaliseCredentials(override.credentials) }),
    ...(override.ca !== undefined && { ca: override.ca }),
    ...(override.insecure !== undefined && { insecure: override.insecure }),
  };
}

function redirect(positions: SourcePositions, from: string[], to: string[], override: EndpointOverride): void {
  for (const field of Object.keys(override)) positions.redirectTo([...from, field], [...to, field]);
}
