/**
 * Platform selection for `--platform os/arch[/variant],…` (image-spec image-index.md "platform").
 * A selector without a variant matches every variant of that os/arch.
 */
import { RegtopoError } from '../errors.js';
import type { Descriptor } from '../registry/descriptor.js';

export interface PlatformSelector {
  os: string;
  architecture: string;
  variant?: string;
}

export function parsePlatform(text: string): PlatformSelector {
  const parts = text.trim().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9_.-]+$/i.test(p))) {
    throw new RegtopoError('E_USAGE', `invalid platform "${text}": expected os/arch[/variant], e.g. linux/arm64/v8`);
  }
  return { os: parts[0]!, architecture: parts[1]!, variant: parts[2] };
}

export function matchesPlatform(desc: Descriptor, selectors: PlatformSelector[]): boolean {
  const p = desc.platform;
  if (!p) return false;
  return selectors.some((s) => s.os === p.os && s.architecture === p.architecture && (s.variant === undefined || s.variant === p.variant));
}
