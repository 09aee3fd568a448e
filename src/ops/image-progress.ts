/**
 * Progress of the multi-image operations (mirror, replicate, backup, restore, promote): each inner
 * copy's events (./copy-progress.ts), with the image they belong to. Copies run side by side, so
 * events of several images interleave; a consumer keeps one state per image.
 *
 * `image` names the image as the operation's report does:
 *   mirror, replicate, restore  the target reference written, host/repository:tag
 *   backup                      the source reference read, host/repository:tag
 *   promote                     the promotion image name (one copy by digest sets all its tags)
 * Referrers carried by replicate are copied by digest and reported as host/repository@digest.
 */
import type { CopyEvent, CopyProgress } from './copy-progress.js';

export type ImageProgress = (image: string, event: CopyEvent) => void;

/** The CopyProgress one inner copy is given: events tagged with its image (none without a consumer). */
export function progressFor(progress: ImageProgress | undefined, image: string): { progress?: CopyProgress } {
  return progress ? { progress: (event) => progress(image, event) } : {};
}
