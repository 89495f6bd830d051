import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Spawns `count` Node processes running a TypeScript fixture (through tsx), waits until every one printed
 * `ready`, writes `go` to all at once so they race, and resolves with each one's stdout once all exited 0.
 * A worker that dies (before or after `ready`) rejects with its output.
 */
export async function runWorkers(script: URL, count: number, env: Record<string, string>): Promise<string[]> {
  const children: ChildProcess[] = [];
  const outcomes = Array.from({ length: count }, () => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(script)], {
      cwd: repo,
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.push(child);
    let stdout = '';
    let stderr = '';
    const ready = new Promise<void>((resolve) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('ready\n')) resolve();
      });
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<string>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code) => {
        if (code === 0) resolve(stdout);
        else reject(new Error(`worker ${child.pid} exited with ${code}: ${stderr || stdout}`));
      });
    });
    return { ready, exited };
  });
  try {
    await Promise.race([
      Promise.all(outcomes.map((o) => o.ready)),
      Promise.all(outcomes.map((o) => o.exited)), // a worker that dies before "ready" fails fast
    ]);
    for (const child of children) child.stdin?.write('go\n');
    return await Promise.all(outcomes.map((o) => o.exited));
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill();
  }
}
