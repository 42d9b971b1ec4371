/** Pipelines' configuration in workspace.json (the `pipelines` array). */
import { randomBytes } from 'node:crypto';
import type { Pipeline } from '../api/pipelines';
import { notFound } from '../api/errors';
import type { WorkspaceData } from '../workspace/schema';
import type { WorkspaceStore } from '../workspace/store';

export const isPipeline = (p: unknown): p is Pipeline =>
  !!p && typeof p === 'object' && (p as { type?: unknown }).type === 'import-users' && typeof (p as { sourceId?: unknown }).sourceId === 'string';

export function allPipelines(data: WorkspaceData): Pipeline[] {
  return (data.pipelines as unknown[]).filter(isPipeline);
}

export function findPipeline(data: WorkspaceData, id: string): Pipeline {
  const p = allPipelines(data).find((x) => x.id === id);
  if (!p) throw notFound(`No pipeline with id "${id}"`);
  return p;
}

export function pipelinesOf(data: WorkspaceData, sourceId: string): Pipeline[] {
  return allPipelines(data).filter((p) => p.sourceId === sourceId);
}

export function sourceExists(data: WorkspaceData, sourceId: string): boolean {
  return data.sources.some((s) => s.id === sourceId);
}

export function newPipelineId(data: WorkspaceData): string {
  for (;;) {
    const id = `pl_${randomBytes(8).toString('hex')}`;
    if (!data.pipelines.some((p) => p.id === id)) return id;
  }
}

/** Apply a change to one pipeline and save; returns the new value. */
export function updatePipeline(store: WorkspaceStore, id: string, change: (p: Pipeline) => void): Promise<Pipeline> {
  return store.update((d) => {
    const i = d.pipelines.findIndex((p) => p.id === id && isPipeline(p));
    if (i < 0) throw notFound(`No pipeline with id "${id}"`);
    const p = structuredClone(d.pipelines[i]) as unknown as Pipeline;
    change(p);
    p.updatedAt = new Date().toISOString();
    d.pipelines[i] = p as unknown as WorkspaceData['pipelines'][number];
    return p;
  });
}
