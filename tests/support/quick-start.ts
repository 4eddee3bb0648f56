import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePort } from './stack.js';

export const REPOSITORY_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface QuickStartPorts {
  gateway: number;
  hospital: number;
  ems: number;
  center: number;
}

export interface QuickStart {
  ports: QuickStartPorts;
  gatewayUrl: string;
  /** Everything it printed so far, stdout and stderr, line by line. */
  output: string[];
  /** Resolves with the first line (printed so far or later) that matches; rejects when it exits first or in time. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends a signal to the whole process group, as a terminal's Ctrl+C (SIGINT) or a closed terminal does. */
  signalGroup(signal: NodeJS.Signals): void;
}

/** Ports nobody listens on, so that several quick starts can run at once beside other tests. */
export async function freeQuickStartPorts(): Promise<QuickStartPorts> {
  return { gateway: await freePort(), hospital: await freePort(), ems: await freePort(), center: await freePort() };
}

export interface QuickStartOptions {
  /** Extra environment: the data folder, database URLs, a preload. */
  env?: NodeJS.ProcessEnv;
  ports?: QuickStartPorts;
  /**
   * `start-all` runs the script the way `start` does (node with tsx); `pnpm` runs the README's own command,
   * `npx -y pnpm@10 start`, to see what the user sees.
   */
  via?: 'start-all' | 'pnpm';
}

/**
 * `start` as a user runs it: every service a process of its own, in a process group of its own so that a test can
 * interrupt the whole group the way a terminal does.
 */
export async function launchQuickStart(options: QuickStartOptions = {}): Promise<QuickStart> {
  const ports = options.ports ?? (await freeQuickStartPorts());
  const [command, args] =
    options.via === 'pnpm' ? ['npx', ['-y', 'pnpm@10', 'start']] : [process.execPath, ['--import', 'tsx', 'scripts/start-all.ts']];
  const child: ChildProcess = spawn(command, args, {
    cwd: REPOSITORY_ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      LOG_LEVEL: 'info',
      GATEWAY_PORT: String(ports.gateway),
      HOSPITAL_PORT: String(ports.hospital),
      EMS_PORT: String(ports.ems),
      CENTER_PORT: String(ports.center),
      EVENT_POLL_WAIT_MS: '5000',
      ...options.env,
    },
  });
  const output: string[] = [];
  const waiters = new Set<{ pattern: RegExp; resolve: (line: string) => void }>();
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      output.push(line);
      for (const waiter of waiters) {
        if (waiter.pattern.test(line)) {
          waiters.delete(waiter);
          waiter.resolve(line);
        }
      }
    });
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  return {
    ports,
    gatewayUrl: `http://127.0.0.1:${ports.gateway}/graphql`,
    output,
    exited,
    waitForLine(pattern, timeoutMs = 180_000) {
      const seen = output.find((line) => pattern.test(line));
      if (seen) return Promise.resolve(seen);
      return new Promise<string>((resolve, reject) => {
        const waiter = {
          pattern,
          resolve: (line: string) => {
            clearTimeout(timer);
            resolve(line);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`No line matching ${pattern} within ${timeoutMs} ms. Output:\n${output.slice(-40).join('\n')}`));
        }, timeoutMs);
        waiters.add(waiter);
        // Lines still in the pipes arrive shortly after the exit.
        void exited.then(() =>
          setTimeout(() => {
            if (!waiters.delete(waiter)) return;
            clearTimeout(timer);
            reject(new Error(`It exited before printing a line matching ${pattern}. Output:\n${output.slice(-40).join('\n')}`));
          }, 500),
        );
      });
    },
    signalGroup(signal) {
      if (hasExited && signal !== 'SIGKILL') return;
      try {
        process.kill(-child.pid!, signal);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    },
  };
}

/** Whether anything still listens on a port (a service left running). */
export async function listening(port: number): Promise<boolean> {
  return fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2_000) }).then(
    () => true,
    () => false,
  );
}
