/**
 * Distribution can refuse a manifest as MANIFEST_BLOB_UNKNOWN while another client is committing one
 * of its blobs into the same repository, even after a HEAD has already seen that blob: concurrent
 * promotions, records sharing the empty config, and parallel mirror tags sharing base layers all
 * meet it, and so does a tag PUT of a manifest that is already stored (a retag) while another client
 * re-commits one of its blobs. Such a push succeeds once the other commit settles, so
 * RegistryRepository.putManifest retries every manifest PUT through here with a short, growing,
 * jittered wait; any other error, or the last attempt's, is thrown as it is.
 */
import { RegistryError } from '../errors.js';

export async function settleBlobRace<T>(push: () => Promise<T>, attempts = 6): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await push();
    } catch (err) {
      const blobUnknown = err instanceof RegistryError && err.hasSpecCode('MANIFEST_BLOB_UNKNOWN');
      if (!blobUnknown || attempt >= attempts) throw err;
      await new Promise((r) => setTimeout(r, 50 * attempt + Math.random() * 100));
    }
  }
}
