/** Every CLI command, in help order. Each module registers itself and imports the library lazily. */
import type { RegisterCommand } from '../context.js';
import { registerCopy } from './copy.js';
import { registerTag } from './tag.js';
import { registerInspect } from './inspect.js';
import { registerTags } from './tags.js';
import { registerDemo } from './demo.js';
import { registerValidate } from './validate.js';
import { registerGraph } from './graph.js';
import { registerSchema } from './schema.js';
import { registerStatus } from './status.js';
import { registerPlan } from './plan.js';
import { registerPromote } from './promote.js';
import { registerApprove } from './approve.js';
import { registerHistory } from './history.js';
import { registerInventory } from './inventory.js';
import { registerCheck } from './check.js';
import { registerMirror } from './mirror.js';
import { registerReplicate } from './replicate.js';
import { registerBackup } from './backup.js';
import { registerRestore } from './restore.js';
import { registerVersion } from './version.js';
import { registerCompletion } from './completion.js';
import { registerHelp } from './help-topics.js';
import { registerPrune } from './prune.js';

export const COMMANDS: RegisterCommand[] = [
  registerCopy,
  registerTag,
  registerInspect,
  registerTags,
  registerDemo,
  registerValidate,
  registerGraph,
  registerSchema,
  registerCheck,
  registerMirror,
  registerPrune,
  registerStatus,
  registerPlan,
  registerPromote,
  registerApprove,
  registerHistory,
  registerInventory,
  registerReplicate,
  registerBackup,
  registerRestore,
  registerVersion,
  registerCompletion,
  registerHelp,
];
