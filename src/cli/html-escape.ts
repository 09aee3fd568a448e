/**
 * Escaping for the HTML page: every value comes from registries and topology files, which may be
 * hostile, so nothing reaches the page without passing through here.
 */
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** `text` cut to `max` characters with an ellipsis (the full value goes in a title). */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
