// Process-wide safety net: however this process ends, local workers' process groups are killed.
// (A SIGKILL of this process cannot be caught; workers then exit on stdin EOF by themselves.)

interface Killable {
  killAllSync(): void;
}

const pools = new Map<Killable, { signals: boolean }>();
let exitHook = false;
let signalHooks = false;

function killAll(): void {
  for (const p of pools.keys()) p.killAllSync();
}

function onSignal(signal: NodeJS.Signals): void {
  killAll();
  // Exit only when nobody else handles the signal; otherwise the application's handler decides.
  if (process.listenerCount(signal) <= 1) process.exit(signal === "SIGINT" ? 130 : 143);
}

function sync(): void {
  const wantExit = pools.size > 0;
  const wantSignals = [...pools.values()].some((o) => o.signals);
  if (wantExit !== exitHook) {
    // 'exit' also runs after an uncaught exception, so a crash of the parent reaps the workers too.
    if (wantExit) process.on("exit", killAll);
    else process.off("exit", killAll);
    exitHook = wantExit;
  }
  if (wantSignals !== signalHooks) {
    for (const s of ["SIGINT", "SIGTERM"] as const) {
      if (wantSignals) process.on(s, onSignal);
      else process.off(s, onSignal);
    }
    signalHooks = wantSignals;
  }
}

export function registerPool(p: Killable, handleSignals = true): void {
  pools.set(p, { signals: handleSignals });
  sync();
}

export function unregisterPool(p: Killable): void {
  pools.delete(p);
  sync();
}
