import { readFile, writeFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openWorkspace, WorkspaceFileError } from '../../../src-main/core/workspace/store';
import { WORKSPACE_VERSION } from '../../../src-main/core/workspace/schema';
import { tempDir } from '../../helpers/tmp';

describe('workspace store (lowdb, real file)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(() => cleanup());

  it('creates a versioned workspace.json with defaults', async () => {
    const file = join(dir, 'workspace.json');
    const store = await openWorkspace(file);
    const onDisk = JSON.parse(await readFile(file, 'utf8'));
    expect(onDisk.version).toBe(WORKSPACE_VERSION);
    expect(onDisk.settings.ingestHost).toBe('0.0.0.0');
    expect(store.data.model.properties.map((p) => p.name)).toContain('email');
  });

  it('persists updates and reads them back after reopening', async () => {
    const file = join(dir, 'workspace.json');
    const store = await openWorkspace(file);
    await store.update((d) => {
      d.settings.ingestPort = 9123;
    });
    const again = await openWorkspace(file);
    expect(again.data.settings.ingestPort).toBe(9123);
    // atomic writes leave no temp files behind
    expect((await readdir(dir)).filter((f) => f !== 'workspace.json')).toEqual([]);
  });

  it('serializes concurrent updates', async () => {
    const store = await openWorkspace(join(dir, 'workspace.json'));
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.update((d) => {
          d.sources.push({ id: `s${i}` });
        }),
      ),
    );
    const again = await openWorkspace(join(dir, 'workspace.json'));
    expect(again.data.sources).toHaveLength(20);
  });

  it('undoes the in-memory change when a write fails', async () => {
    const store = await openWorkspace(join(dir, 'workspace.json'));
    await expect(
      store.update((d) => {
        d.name = 'changed';
        (d as unknown as { bad: bigint }).bad = 1n; // JSON.stringify throws on BigInt
      }),
    ).rejects.toThrow();
    expect(store.data.name).toBe('My workspace');
  });

  it('refuses a corrupt file with a clear message and leaves it untouched', async () => {
    const file = join(dir, 'workspace.json');
    const garbage = '{"version": 1, "settings": {';
    await writeFile(file, garbage);
    await expect(openWorkspace(file)).rejects.toThrow(WorkspaceFileError);
    await expect(openWorkspace(file)).rejects.toThrow(/is not valid JSON.*left untouched/);
    expect(await readFile(file, 'utf8')).toBe(garbage);
  });

  it('refuses an empty file, a non-object and invalid content without overwriting', async () => {
    const file = join(dir, 'workspace.json');
    for (const content of ['', '[]', '"text"', JSON.stringify({ version: 1, name: 'x' })]) {
      await writeFile(file, content);
      await expect(openWorkspace(file)).rejects.toThrow(WorkspaceFileError);
      expect(await readFile(file, 'utf8')).toBe(content);
    }
  });

  it('refuses a file from a newer version', async () => {
    const file = join(dir, 'workspace.json');
    await writeFile(file, JSON.stringify({ version: 999 }));
    await expect(openWorkspace(file)).rejects.toThrow(/newer version/);
  });

  it('migrates a file without a version', async () => {
    const file = join(dir, 'workspace.json');
    await writeFile(file, JSON.stringify({ name: 'Old one' }));
    const store = await openWorkspace(file);
    expect(store.data.name).toBe('Old one');
    expect(JSON.parse(await readFile(file, 'utf8')).version).toBe(WORKSPACE_VERSION);
  });

  it('does not let __proto__ keys in the file pollute objects', async () => {
    const file = join(dir, 'workspace.json');
    await writeFile(file, '{"__proto__": {"polluted": true}, "name": "P"}');
    await openWorkspace(file).catch(() => undefined);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
