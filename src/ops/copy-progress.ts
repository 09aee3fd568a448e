/**
 * Progress events the copy engine emits; the CLI renders them, libraries may log or ignore them.
 * `plan` comes once, after the manifest tree is read and validated and before any blob moves: the
 * blobs and bytes the copy will account for (each then ends in one `blob` event). Non-distributable
 * layers left behind are not counted.
 */

export type CopyEvent =
  | { type: 'plan'; blobs: number; bytes: number }
  | { type: 'blob'; digest: string; size: number; how: 'copied' | 'mounted' | 'existing' }
  | { type: 'bytes'; n: number }
  | { type: 'manifest'; digest: string; reference: string; how: 'pushed' | 'existing' };

export type CopyProgress = (event: CopyEvent) => void;
