import { mkdir, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** mkdir -p one level at a time: Node 20's recursive mkdir can hang on some file systems (e.g. /proc). */
async function makeDirs(dir: string): Promise<void> {
  try {
    if ((await stat(dir)).isDirectory()) return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const parent = dirname(dir);
    if (parent !== dir) await makeDirs(parent);
    await mkdir(dir);
    return;
  }
  throw Object.assign(new Error(`${dir} is not a folder`), { code: 'ENOTDIR' });
}

/** Fails with one clear line naming the folder when it cannot be created or written. */
export async function ensureWritableDir(dir: string): Promise<void> {
  const probe = join(dir, `.write-test-${process.pid}`);
  try {
    await makeDirs(dir);
    await writeFile(probe, 'ok');
    await unlink(probe);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    throw new Error(`The data folder ${dir} is not writable (${code || (err as Error).message}). Choose another with --data-dir.`);
  }
}
