/**
 * Ctrl-C and SIGTERM for the CLI. The first signal aborts one process-wide AbortController whose
 * signal every command passes to the library: transfers stop, upload sessions are cancelled, temp
 * files removed, and the command fails with E_INTERRUPTED (exit 130, "interrupted"). A command that
 * has not finished GRACE_MS later (one that does not take a signal), or a second signal, ends the
 * process at once: the user asked twice, or cleanup is stuck.
 */
import { ExitCode } from './exit-codes.js';
import { clearProgressLine } from './progress-display.js';

// Cleanup is one round trip per open upload session and an unlink per temp file: well under this
// on any reachable registry, and short enough that Ctrl-C still feels immediate.
const GRACE_MS = 1_000;
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export interface InterruptHandle {
  signal: AbortSignal;
  /** Restores the default signal behaviour (the command is done). */
  dispose(): void;
}

export function handleInterrupts(): InterruptHandle {
  const controller = new AbortController();
  let watchdog: NodeJS.Timeout | undefined;
  const exitNow = (): never => {
    clearProgressLine();
    process.stderr.write('regtopo: interrupted\n');
    process.exit(ExitCode.Interrupted);
  };
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) exitNow();
    controller.abort(new Error(`received ${name}`));
    watchdog = setTimeout(exitNow, GRACE_MS);
    // Never the reason the process stays alive: a finished command exits on its own.
    watchdog.unref();
  };
  for (const s of SIGNALS) process.on(s, onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      for (const s of SIGNALS) process.off(s, onSignal);
      if (watchdog) clearTimeout(watchdog);
    },
  };
}
