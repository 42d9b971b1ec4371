import { lazy, Suspense, useEffect, useMemo, useState, type FormEvent } from 'react';
import { api, errorMessage } from '../../api/client';
import type { PipelineListItem } from '../../../src-main/core/api/pipelines';
import { presetFilter, validateFilter, type Filter } from '../../../src-main/core/pipelines/filter';
import type { Transformation, TransformationError, TransformationKind } from '../../../src-main/core/transform/types';
import { camelCase, suggestMapping, useModel, useRecentEvents, type ModelProp } from './data';
import { FilterBuilder } from './FilterBuilder';
import { MappingEditor } from './MappingEditor';
import { TestPanel } from './TestPanel';

const CodeTransformation = lazy(() => import('./CodeTransformation'));

const KINDS: { kind: TransformationKind; label: string; hint: string }[] = [
  { kind: 'mapping', label: 'Visual Mapping', hint: 'One expression per Customer Model property' },
  { kind: 'javascript', label: 'JavaScript', hint: 'transform(event) returning an object' },
  { kind: 'python', label: 'Python', hint: 'def transform(event) returning a dict' },
];

export function starterJavaScript(props: ModelProp[]): string {
  const lines = props.map((p) => `    ${p.name}: traits.${camelCase(p.name)} ?? null,`);
  return `/**
 * Turns a Segment event into Customer Model values.
 * Return only the properties you know; null leaves a property untouched.
 * @param {SegmentEvent} event
 * @returns {CustomerModelValues}
 */
function transform(event) {
  const traits = event.traits ?? {};
  return {
${lines.join('\n')}
  };
}
`;
}

export function starterPython(props: ModelProp[]): string {
  const lines = props.map((p) => `        "${p.name}": traits.get("${camelCase(p.name)}"),`);
  return `def transform(event: dict) -> dict:
    """Turns a Segment event into Customer Model values.

    Return only the properties you know; None leaves a property untouched.
    """
    traits = event.get("traits") or {}
    return {
${lines.join('\n')}
    }
`;
}

interface Draft {
  name: string;
  description: string;
  filter: Filter | null;
  kind: TransformationKind;
  mapping: Record<string, string>;
  javascript: string;
  python: string;
}

function toTransformation(d: Draft): Transformation {
  if (d.kind === 'mapping') {
    const mapping: Record<string, string> = {};
    for (const [k, v] of Object.entries(d.mapping)) if (v.trim() !== '') mapping[k] = v.trim();
    return { kind: 'mapping', mapping };
  }
  return d.kind === 'javascript' ? { kind: 'javascript', source: d.javascript } : { kind: 'python', source: d.python };
}

/** Add (pipeline = null) or edit a pipeline: name, filter, transformation, and a Test panel. */
export function PipelineEditor({
  sourceId,
  pipeline,
  onDone,
  onCancel,
}: {
  sourceId: string;
  pipeline: PipelineListItem | null;
  onDone(p: PipelineListItem): void;
  onCancel(): void;
}) {
  const { properties, error: modelError } = useModel();
  const { events, paths } = useRecentEvents(sourceId);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [checkErrors, setCheckErrors] = useState<TransformationError[]>([]);
  const [checking, setChecking] = useState(false);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<{ message: string; field?: string } | null>(null);

  // The draft starts once the model is known (a new mapping is prefilled from the events' paths).
  useEffect(() => {
    if (!properties || draft) return;
    const t = pipeline?.transformation;
    setDraft({
      name: pipeline?.name ?? 'Import users',
      description: pipeline?.description ?? '',
      filter: pipeline ? pipeline.filter : presetFilter(),
      kind: t?.kind ?? 'mapping',
      mapping: t?.kind === 'mapping' ? { ...t.mapping } : suggestMapping(properties, paths),
      javascript: t?.kind === 'javascript' ? t.source : starterJavaScript(properties),
      python: t?.kind === 'python' ? t.source : starterPython(properties),
    });
  }, [properties, pipeline, draft, paths]);

  // A new pipeline's mapping follows the events as they load, until the user edits it.
  const [touchedMapping, setTouchedMapping] = useState(false);
  useEffect(() => {
    if (pipeline || touchedMapping || !properties || !draft) return;
    const next = suggestMapping(properties, paths);
    if (JSON.stringify(next) !== JSON.stringify(draft.mapping)) setDraft({ ...draft, mapping: next });
  }, [paths]);

  const transformation = useMemo(() => (draft ? toTransformation(draft) : null), [draft]);
  const tKey = JSON.stringify(transformation);

  // Check the transformation (syntax, types, positions) as it is edited.
  useEffect(() => {
    if (!transformation) return;
    let live = true;
    setChecking(true);
    const t = setTimeout(() => {
      api.pipelines.check({ transformation }).then(
        (r) => live && (setCheckErrors(r.errors), setChecking(false)),
        (e) => live && (setCheckErrors([{ message: errorMessage(e) }]), setChecking(false)),
      );
    }, 250);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [tKey]);

  if (modelError) return <div className="alert error">The Customer Model could not be loaded: {modelError}</div>;
  if (!draft || !properties || !transformation) return <p className="muted">Loading…</p>;

  const set = (patch: Partial<Draft>) => {
    setSaveError(null);
    setDraft({ ...draft, ...patch });
  };
  const filterProblems = validateFilter(draft.filter);
  const codeErrors = draft.kind === 'mapping' ? [] : checkErrors;
  const blocked =
    checkErrors.length > 0
      ? 'Fix the transformation errors to test it.'
      : filterProblems.length > 0
        ? `Fix the filter: ${filterProblems[0].message}`
        : null;

  async function save(e: FormEvent) {
    e.preventDefault();
    if (!draft || !transformation) return;
    setSaving(true);
    setSaveError(null);
    try {
      const common = { name: draft.name, description: draft.description, filter: draft.filter, transformation };
      const p = pipeline ? await api.pipelines.update({ id: pipeline.id, ...common }) : await api.pipelines.create({ sourceId, ...common });
      onDone(p);
    } catch (err) {
      setSaveError({ message: errorMessage(err), field: (err as { field?: string }).field });
      setSaving(false);
    }
  }

  return (
    <form className="pipeline-editor" onSubmit={save} noValidate data-testid="pipeline-editor">
      <div className="editor-head">
        <div>
          <h2>{pipeline ? `Edit “${pipeline.name}”` : 'Add pipeline'}</h2>
          <p className="muted">Import users into warehouse: select events, map them to your Customer Model, and users are written to the warehouse.</p>
        </div>
        <div className="editor-actions">
          <button type="button" className="btn" onClick={onCancel} disabled={saving}>
            Cancel
          </button>
          <button type="submit" className="btn primary" disabled={saving || checking || checkErrors.length > 0 || filterProblems.length > 0}>
            {saving ? 'Saving…' : pipeline ? 'Save' : 'Add'}
          </button>
        </div>
      </div>
      {saveError && (
        <div className="alert error" role="alert" data-testid="save-error">
          {saveError.message}
        </div>
      )}
      <div className="editor-grid">
        <div className="editor-main">
          <section className="panel">
            <h3>Pipeline</h3>
            <div className="field-row">
              <label className="field">
                <span>Name</span>
                <input name="name" value={draft.name} maxLength={120} onChange={(e) => set({ name: e.target.value })} className={saveError?.field === 'name' ? 'invalid' : undefined} />
              </label>
              <label className="field">
                <span>Description</span>
                <input name="description" value={draft.description} maxLength={1000} placeholder="Optional" onChange={(e) => set({ description: e.target.value })} />
              </label>
            </div>
          </section>
          <section className="panel">
            <h3>Filter</h3>
            <p className="muted small">
              Which events import users. The preset takes identify events (with or without traits) and any other event that carries traits.
            </p>
            <FilterBuilder filter={draft.filter} onChange={(filter) => set({ filter })} paths={paths} />
          </section>
          <section className="panel">
            <div className="panel-title-row">
              <h3>Transformation</h3>
              <div className="kind-picker" role="radiogroup" aria-label="Transformation kind">
                {KINDS.map((k) => (
                  <button
                    key={k.kind}
                    type="button"
                    role="radio"
                    aria-checked={draft.kind === k.kind}
                    className={draft.kind === k.kind ? 'kind active' : 'kind'}
                    title={k.hint}
                    onClick={() => set({ kind: k.kind })}
                  >
                    {k.label}
                  </button>
                ))}
              </div>
            </div>
            {draft.kind === 'mapping' ? (
              <MappingEditor
                properties={properties}
                mapping={draft.mapping}
                onChange={(mapping) => {
                  setTouchedMapping(true);
                  set({ mapping });
                }}
                errors={checkErrors}
                paths={paths}
              />
            ) : (
              <Suspense fallback={<p className="muted">Loading the editor…</p>}>
                <CodeTransformation
                  kind={draft.kind}
                  source={draft.kind === 'javascript' ? draft.javascript : draft.python}
                  onChange={(source) => set(draft.kind === 'javascript' ? { javascript: source } : { python: source })}
                  errors={codeErrors}
                  onReset={() => set(draft.kind === 'javascript' ? { javascript: starterJavaScript(properties) } : { python: starterPython(properties) })}
                />
              </Suspense>
            )}
          </section>
        </div>
        <aside className="editor-side">
          <TestPanel sourceId={sourceId} filter={draft.filter} transformation={transformation} events={events} blocked={blocked} />
        </aside>
      </div>
    </form>
  );
}
