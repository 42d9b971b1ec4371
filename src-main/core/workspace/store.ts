import { readFile } from 'node:fs/promises';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import { describeIssue } from '../api/dispatch';
import { defaultWorkspace, MIGRATIONS, WORKSPACE_VERSION, workspaceFileSchema, type WorkspaceData } from './schema';

/** Start-up must stop on this, with its message shown as is. */
export class WorkspaceFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkspaceFileError';
  }
}

function migrate(raw: Record<string, unknown>, file: string): Record<string, unknown> {
  let data = raw;
  let version = typeof data.version === 'number' ? data.version : 0;
  if (!Number.isInteger(version) || version < 0) throw new WorkspaceFileError(`${file}: "version" is not a valid schema version`);
  if (version > WORKSPACE_VERSION) {
    throw new WorkspaceFileError(
      `${file} was written by a newer version of the app (schema ${version}, this app knows up to ${WORKSPACE_VERSION}); it was left untouched.`,
    );
  }
  while (version < WORKSPACE_VERSION) {
    data = MIGRATIONS[version](data);
    version = data.version as number;
  }
  return data;
}

/** Read, migrate and validate workspace.json; a missing file is a new workspace. Never overwrites a bad file. */
async function load(file: string): Promise<{ data: WorkspaceData; dirty: boolean }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { data: defaultWorkspace(), dirty: true };
    throw new WorkspaceFileError(`Cannot read ${file}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new WorkspaceFileError(
      `${file} is not valid JSON (${(err as Error).message}). Fix or move the file away; it was left untouched.`,
    );
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new WorkspaceFileError(`${file} does not hold a workspace object; it was left untouched.`);
  }
  const before = (parsed as { version?: unknown }).version;
  const migrated = migrate(parsed as Record<string, unknown>, file);
  const checked = workspaceFileSchema.safeParse(migrated);
  if (!checked.success) {
    throw new WorkspaceFileError(`${file} is not a valid workspace: ${describeIssue(checked.error).message}. It was left untouched.`);
  }
  return { data: checked.data, dirty: before !== WORKSPACE_VERSION };
}

export interface WorkspaceStore {
  /** The current state; treat as read-only, change it through update(). */
  readonly data: WorkspaceData;
  /** Apply a change and write it atomically; on a failed write the change is undone. Writes are serialized. */
  update<T>(change: (draft: WorkspaceData) => T): Promise<T>;
}

export async function openWorkspace(file: string): Promise<WorkspaceStore> {
  const { data, dirty } = await load(file);
  // lowdb's JSONFile writes through steno: a temp file renamed over the old one (atomic).
  const db = new Low<WorkspaceData>(new JSONFile<WorkspaceData>(file), data);
  db.data = data;
  if (dirty) await db.write();
  let queue: Promise<unknown> = Promise.resolve();

  return {
    get data() {
      return db.data;
    },
    update<T>(change: (draft: WorkspaceData) => T): Promise<T> {
      const run = async () => {
        const draft = structuredClone(db.data);
        const result = change(draft);
        const previous = db.data;
        db.data = draft;
        try {
          await db.write();
        } catch (err) {
          db.data = previous;
          throw err;
        }
        return result;
      };
      const next = queue.then(run, run);
      queue = next.catch(() => undefined);
      return next;
    },
  };
}
