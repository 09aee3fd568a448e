/** Progress events the copy engine emits; the CLI renders them, libraries may log or ignore them. */

export type CopyEvent =
  | { type: 'plan'; blobs: number; bytes: number }
  | { type: 'blob'; digest: string; size: number; how: 'copied' | 'mounted' | 'existing' }
  | { type: 'bytes'; n: number }
  | { type: 'manifest'; digest: string; reference: string; how: 'pushed' | 'existing' };

export type CopyProgress = (event: CopyEvent) => void;
