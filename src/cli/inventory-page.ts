/** Gathers what the HTML inventory shows beyond the entries (each image's history), then renders. */
import { createRequire } from 'node:module';
import type { PromotionContext } from '../ops/promotion/context.js';
import type { HistoryEntry } from '../ops/promotion/history.js';
import type { InventoryEntry } from '../ops/promotion/inventory.js';
import { renderInventoryHtml } from './inventory-html.js';

export async function inventoryPage(ctx: PromotionContext, entries: InventoryEntry[]): Promise<string> {
  const { history } = await import('../ops/promotion/history.js');
  const histories: Record<string, HistoryEntry[]> = {};
  for (const image of new Set(entries.map((e) => e.image))) histories[image] = await history(ctx, image);
  const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };
  return renderInventoryHtml({ topology: ctx.topology, entries, histories, generatedAt: new Date(), version });
}
