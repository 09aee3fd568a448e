/** Gathers what the HTML inventory shows beyond the entries (each image's history), then renders. */
import { createRequire } from 'node:module';
import type { PromotionOptions } from '../ops/promotion/context.js';
import type { HistoryEntry } from '../ops/promotion/history.js';
import type { InventoryEntry } from '../ops/promotion/inventory.js';
import { renderInventoryHtml } from './inventory-html.js';

export async function inventoryPage(options: PromotionOptions, entries: InventoryEntry[]): Promise<string> {
  const { history } = await import('../ops/promotion/verbs.js');
  const histories: Record<string, HistoryEntry[]> = {};
  for (const image of new Set(entries.map((e) => e.image))) histories[image] = await history(image, options);
  const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };
  return renderInventoryHtml({ topology: options.topology, entries, histories, generatedAt: new Date(), version });
}
