import type { Handlers } from '../api/contract';
import { ApiError, notFound } from '../api/errors';
import { MAX_WRITE_KEYS_PER_SOURCE, type Source, type WriteKey } from '../api/sources';
import type { CoreContext } from '../context';
import type { WorkspaceData } from '../workspace/schema';
import { generateSourceId, generateWriteKey } from './keys';

type SourceMethods = 'sources.list' | 'sources.create' | 'sources.get' | 'sources.update' | 'sources.delete';
type KeyMethods = 'writeKeys.list' | 'writeKeys.create' | 'writeKeys.delete';

const asSource = (s: WorkspaceData['sources'][number]): Source => {
  const v = s as unknown as Source;
  return { id: v.id, type: v.type, name: v.name, createdAt: v.createdAt, updatedAt: v.updatedAt };
};
const asKey = (k: WorkspaceData['writeKeys'][number]): WriteKey => ({
  key: k.key,
  sourceId: k.sourceId,
  createdAt: String((k as { createdAt?: unknown }).createdAt ?? ''),
});

const sourceMissing = (id: string) => notFound(`No source with id "${id}"`);

function findSource(d: WorkspaceData, id: string) {
  const s = d.sources.find((x) => x.id === id);
  if (!s) throw sourceMissing(id);
  return s;
}

function uniqueId(d: WorkspaceData, make: () => string): string {
  for (;;) {
    const id = make();
    if (!d.sources.some((s) => s.id === id)) return id;
  }
}

/** sources.* and writeKeys.*: configuration in workspace.json, validated by the contract's schemas. */
export function sourcesHandlers(ctx: CoreContext): Pick<Handlers, SourceMethods | KeyMethods> {
  const { store } = ctx;
  return {
    'sources.list': () => ({ sources: store.data.sources.map(asSource) }),

    'sources.get': ({ id }) => asSource(findSource(store.data, id)),

    'sources.create': ({ type, name }) =>
      store.update((d) => {
        const now = new Date().toISOString();
        const source: Source = { id: uniqueId(d, generateSourceId), type, name, createdAt: now, updatedAt: now };
        d.sources.push({ ...source });
        d.writeKeys.push({ key: generateWriteKey(), sourceId: source.id, createdAt: now });
        return source;
      }),

    'sources.update': ({ id, name }) =>
      store.update((d) => {
        const s = findSource(d, id);
        s.name = name;
        s.updatedAt = new Date().toISOString();
        return asSource(s);
      }),

    // Keys go with the source (rejected at once); events stay in the log.
    'sources.delete': ({ id }) =>
      store.update((d) => {
        findSource(d, id);
        d.sources = d.sources.filter((s) => s.id !== id);
        d.writeKeys = d.writeKeys.filter((k) => k.sourceId !== id);
        return { ok: true as const };
      }),

    'writeKeys.list': ({ sourceId }) => {
      findSource(store.data, sourceId);
      return { keys: store.data.writeKeys.filter((k) => k.sourceId === sourceId).map(asKey) };
    },

    'writeKeys.create': ({ sourceId }) =>
      store.update((d) => {
        findSource(d, sourceId);
        const count = d.writeKeys.filter((k) => k.sourceId === sourceId).length;
        if (count >= MAX_WRITE_KEYS_PER_SOURCE) {
          throw new ApiError(
            'conflict',
            `A source can have at most ${MAX_WRITE_KEYS_PER_SOURCE} event write keys; delete one before creating another`,
          );
        }
        const key: WriteKey = { key: generateWriteKey(), sourceId, createdAt: new Date().toISOString() };
        d.writeKeys.push({ ...key });
        return key;
      }),

    'writeKeys.delete': ({ sourceId, key }) =>
      store.update((d) => {
        findSource(d, sourceId);
        const mine = d.writeKeys.filter((k) => k.sourceId === sourceId);
        if (!mine.some((k) => k.key === key)) throw new ApiError('not_found', 'No such event write key for this source');
        if (mine.length === 1) {
          throw new ApiError('conflict', 'A source needs at least one event write key: create a new key before deleting this one');
        }
        d.writeKeys = d.writeKeys.filter((k) => !(k.sourceId === sourceId && k.key === key));
        return { ok: true as const };
      }),
  };
}
