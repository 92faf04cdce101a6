import type { RunningPolicyServer } from './server.js';

/**
 * Resolves once one of `signals` arrived and the server closed gracefully: it stops accepting,
 * in-flight requests and WebSocket steps finish, sessions get a 1001 close. The listeners are
 * removed, so a second signal falls back to Node's default (an immediate exit).
 *
 * ```ts
 * const server = await startPolicyServer({ policies });
 * await closeOnSignal(server);  // SIGTERM from systemd, Ctrl-C in a terminal
 * ```
 */
export function closeOnSignal(
  server: Pick<RunningPolicyServer, 'close'>,
  signals: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'],
  log: (line: string) => void = () => {},
): Promise<NodeJS.Signals> {
  return new Promise((resolve, reject) => {
    const handlers = new Map<NodeJS.Signals, () => void>();
    for (const signal of signals) {
      const handler = () => {
        for (const [s, h] of handlers) process.off(s, h);
        log(`mipjs serve: ${signal}: finishing in-flight requests`);
        server.close().then(() => resolve(signal), reject);
      };
      handlers.set(signal, handler);
      process.on(signal, handler);
    }
  });
}
