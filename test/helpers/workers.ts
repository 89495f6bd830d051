import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../', import.meta.url));

/** A Node process running a TypeScript fixture (through tsx), with its output so far. */
export interface Worker {
  child: ChildProcess;
  /** Everything it printed on stdout so far. */
  stdout(): string;
  /** Resolves once it printed a line equal to `line`. */
  printed(line: string): Promise<void>;
  /** Resolves with its stdout when it exits 0; rejects with its output otherwise (SIGKILL included). */
  exited: Promise<string>;
}

/** Spawns one worker process running `script` with `env` added to this process's environment. */
export function spawnWorker(script: URL, env: Record<string, string>): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(script)], {
    cwd: repo,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const watchers: Array<{ line: string; resolve: () => void }> = [];
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const w of [...watchers]) {
      if (stdout.includes(`${w.line}\n`)) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<string>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`worker ${child.pid} exited with ${code ?? signal}: ${stderr || stdout}`));
    });
  });
  return {
    child,
    stdout: () => stdout,
    printed: (line) =>
      stdout.includes(`${line}\n`)
        ? Promise.resolve()
        : new Promise<void>((resolve) => watchers.push({ line, resolve })),
    exited,
  };
}

/**
 * Spawns `count` Node processes running a TypeScript fixture (through tsx), waits until every one printed
 * `ready`, writes `go` to all at once so they race, and resolves with each one's stdout once all exited 0.
 * A worker that dies (before or after `ready`) rejects with its output.
 */
export async function runWorkers(script: URL, count: number, env: Record<string, string>): Promise<string[]> {
  const workers = Array.from({ length: count }, () => spawnWorker(script, env));
  try {
    await Promise.race([
      Promise.all(workers.map((w) => w.printed('ready'))),
      Promise.all(workers.map((w) => w.exited)), // a worker that dies before "ready" fails fast
    ]);
    for (const w of workers) w.child.stdin?.write('go\n');
    return await Promise.all(workers.map((w) => w.exited));
  } finally {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill();
  }
}
