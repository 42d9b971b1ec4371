/** pipelines.preview: filter + transformation + validation on one event, nothing written. */
import type { PreviewError, PreviewResult } from '../api/pipelines';
import type { ModelLike, Transformation } from '../transform/types';
import { validateOutput } from '../transform/validate';
import { checkErrors, makeTransformer, type EventTransformer } from './engine';
import { explainFilter, summarizeFilter, type Filter } from './filter';

/**
 * Engines kept warm between previews of the same code (the Test panel runs the
 * same transformation many times; Python engines take a while to start).
 */
export class PreviewEngines {
  private readonly cache = new Map<string, { kind: Transformation['kind']; t: Promise<EventTransformer>; timer: ReturnType<typeof setTimeout> }>();

  constructor(
    private readonly max = 4,
    private readonly idleMs = 120_000,
  ) {}

  async get(t: Transformation, model: ModelLike): Promise<EventTransformer> {
    const key = JSON.stringify([t, model.properties.map((p) => [p.name, p.type])]);
    const hit = this.cache.get(key);
    if (hit) {
      clearTimeout(hit.timer);
      hit.timer = this.expire(key);
      this.cache.delete(key);
      this.cache.set(key, hit); // most recent last
      return hit.t;
    }
    while (this.cache.size >= this.max) this.drop(this.cache.keys().next().value as string);
    // One Python engine at a time: each is a Pyodide instance (tens of MB, ~2 s to start).
    if (t.kind === 'python') for (const [k, v] of [...this.cache]) if (v.kind === 'python') this.drop(k);
    const made = makeTransformer(t, model);
    this.cache.set(key, { kind: t.kind, t: made, timer: this.expire(key) });
    made.catch(() => this.drop(key));
    return made;
  }

  private expire(key: string) {
    const timer = setTimeout(() => this.drop(key), this.idleMs);
    timer.unref?.();
    return timer;
  }

  private drop(key: string) {
    const hit = this.cache.get(key);
    if (!hit) return;
    this.cache.delete(key);
    clearTimeout(hit.timer);
    void hit.t.then((t) => t.dispose()).catch(() => undefined);
  }

  async close(): Promise<void> {
    const all = [...this.cache.keys()];
    for (const k of all) this.drop(k);
  }
}

const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

export async function previewPipeline(
  engines: PreviewEngines,
  model: ModelLike,
  args: { filter: Filter | null; transformation: Transformation; event: Record<string, unknown> },
): Promise<PreviewResult> {
  const { filter, transformation, event } = args;
  const fx = explainFilter(filter, event);
  const result: PreviewResult = {
    filter: { ...fx, summary: summarizeFilter(filter) },
    ran: false,
    ok: false,
    raw: null,
    output: null,
    errors: [],
    logs: [],
    ms: 0,
    identity: { userId: text(event.userId), anonymousId: text(event.anonymousId) },
  };
  const checked = await checkErrors(transformation, model);
  if (checked.length > 0) {
    result.errors = checked.map((e): PreviewError => ({ ...e, stage: 'check' }));
    return result;
  }
  if (!fx.passed) return result;
  const engine = await engines.get(transformation, model);
  const r = await engine.run(event);
  result.ran = true;
  result.logs = r.logs;
  result.ms = r.ms;
  if (!r.ok) {
    result.errors = [{ stage: 'transform', code: r.code, message: r.error }];
    return result;
  }
  result.raw = r.output;
  const v = validateOutput(r.output, model);
  if (v.errors.length > 0) {
    result.errors = v.errors.map((e): PreviewError => ({ stage: 'validate', code: 'invalid-output', property: e.property || undefined, message: e.message }));
    return result;
  }
  if (result.identity.userId === null && result.identity.anonymousId === null) {
    result.errors = [{ stage: 'identity', message: 'The event has neither userId nor anonymousId: it cannot be attached to a user' }];
    return result;
  }
  result.output = v.values;
  result.ok = true;
  return result;
}
