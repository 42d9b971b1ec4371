import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot } from './tmp';

export interface Ready {
  ready: true;
  ingestUrl: string;
  adminUrl: string;
  adminToken: string;
  openUrl: string;
}

export interface Headless extends Ready {
  child: ChildProcess;
  stderr: () => string;
  /** POST /api/<method> with the token; returns status and parsed body. */
  call(method: string, args?: unknown): Promise<{ status: number; body: any }>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Run the built headless entry (out/main/serve.js) as a child process and wait for its ready line. */
export function startHeadless(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Headless> {
  const child = spawn(process.execPath, [join(repoRoot, 'out/main/serve.js'), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`headless did not start in time: ${err}`)), 30_000);
    void exited.then((code) => reject(new Error(`headless exited with ${code}: ${err}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let ready: Ready;
      try {
        ready = JSON.parse(line);
      } catch {
        return;
      }
      if (!ready.ready) return;
      clearTimeout(timer);
      resolve({
        ...ready,
        child,
        stderr: () => err,
        async call(method, body = {}) {
          const res = await fetch(`${ready.adminUrl}/api/${method}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${ready.adminToken}` },
            body: JSON.stringify(body),
          });
          return { status: res.status, body: await res.json() };
        },
        async stop(signal = 'SIGTERM') {
          if (child.exitCode !== null) return child.exitCode;
          child.kill(signal);
          return exited;
        },
      });
    });
  });
}

/** Run the headless entry expecting it to fail at start-up; returns exit code and stderr. */
export function runHeadlessExpectingFailure(args: string[]): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const child = spawn(process.execPath, [join(repoRoot, 'out/main/serve.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.on('data', (d) => (stdout += d));
  return new Promise((res) => child.on('exit', (code) => res({ code, stderr, stdout })));
}
