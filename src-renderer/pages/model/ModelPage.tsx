import { useCallback, useEffect, useMemo, useState } from 'react';
import { Link } from 'wouter';
import { api, errorMessage } from '../../api/client';
import { IDENTIFIER_TYPES, PROPERTY_TYPES, type CustomerModel, type ModelPreview, type PropertyType } from '../../../src-main/core/api/model';
import { nameProblem, toSnakeCase } from '../../../src-main/core/model/validate';
import { PageHeader } from '../../components/PageHeader';
import { PreviewDialog } from './PreviewDialog';

export interface DraftRow {
  key: string;
  name: string;
  type: PropertyType;
  description: string;
  identifier: boolean;
  /** The stored name this row started from (null for a new property). */
  originalName: string | null;
  originalType: PropertyType | null;
}

const TYPE_HELP: Record<PropertyType, string> = {
  string: 'Text',
  boolean: 'true / false',
  int: 'Whole number',
  float: 'Number',
  decimal: 'Exact number (38,9)',
  datetime: 'Date and time (UTC)',
  date: 'Calendar date',
  json: 'Any JSON value',
  array: 'List of strings',
};

let seq = 0;
const newKey = () => `r${++seq}`;

function toDraft(m: CustomerModel): DraftRow[] {
  return m.properties.map((p) => ({
    key: newKey(),
    name: p.name,
    type: p.type,
    description: p.description ?? '',
    identifier: !!p.identifier,
    originalName: p.name,
    originalType: p.type,
  }));
}

export function toInput(rows: DraftRow[]) {
  return rows.map((r) => ({
    name: r.name.trim(),
    type: r.type,
    ...(r.description.trim() ? { description: r.description.trim() } : {}),
    ...(r.identifier ? { identifier: true } : {}),
    ...(r.originalName && r.originalName !== r.name.trim() ? { previousName: r.originalName } : {}),
  }));
}

type FieldError = { row: number; field: string; message: string } | { row: null; field: string; message: string };

export function ModelPage() {
  const [model, setModel] = useState<CustomerModel | null>(null);
  const [rows, setRows] = useState<DraftRow[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [serverError, setServerError] = useState<FieldError | null>(null);
  const [preview, setPreview] = useState<ModelPreview | null>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);

  const load = useCallback(() => {
    api.model.get().then(
      (m) => {
        setModel(m);
        setRows(toDraft(m));
      },
      (e) => setLoadError(errorMessage(e)),
    );
  }, []);
  useEffect(load, [load]);

  const dirty = useMemo(() => {
    if (!model) return false;
    return JSON.stringify(toInput(rows)) !== JSON.stringify(toInput(toDraft(model)).map((r) => r));
  }, [rows, model]);

  // Client-side checks, the same rules as the server (which checks again).
  const localErrors = useMemo(() => {
    const errs = new Map<string, string>();
    const seen = new Map<string, number>();
    rows.forEach((r, i) => {
      const name = r.name.trim();
      const problem = nameProblem(name);
      if (problem) errs.set(`${i}.name`, problem);
      else if (seen.has(name)) errs.set(`${i}.name`, `Duplicate name: property ${seen.get(name)! + 1} is also "${name}"`);
      seen.set(name, i);
      if (r.identifier && !IDENTIFIER_TYPES.includes(r.type)) errs.set(`${i}.identifier`, `Identifiers must be ${IDENTIFIER_TYPES.join(' or ')}`);
    });
    return errs;
  }, [rows]);

  const errorFor = (i: number, field: string): string | undefined => {
    if (serverError && serverError.row === i && serverError.field === field) return serverError.message;
    const local = localErrors.get(`${i}.${field}`);
    // A new, still empty row is not an error until someone tries to save it.
    if (local && field === 'name' && rows[i].name === '' && !serverError) return undefined;
    return local;
  };

  const update = (i: number, patch: Partial<DraftRow>) => {
    setSaved(null);
    setServerError(null);
    setRows(rows.map((r, n) => (n === i ? { ...r, ...patch } : r)));
  };
  const move = (i: number, d: -1 | 1) => {
    const j = i + d;
    if (j < 0 || j >= rows.length) return;
    const next = [...rows];
    [next[i], next[j]] = [next[j], next[i]];
    setRows(next);
    setSaved(null);
  };
  const remove = (i: number) => {
    setRows(rows.filter((_, n) => n !== i));
    setServerError(null);
    setSaved(null);
  };
  const add = () => {
    setRows([...rows, { key: newKey(), name: '', type: 'string', description: '', identifier: false, originalName: null, originalType: null }]);
    setSaved(null);
    setTimeout(() => document.querySelector<HTMLInputElement>('.model-table tbody tr:last-child input[name="name"]')?.focus(), 0);
  };

  function toFieldError(err: unknown): FieldError {
    const field = (err as { field?: string }).field ?? '';
    const m = /^properties\.(\d+)\.(\w+)$/.exec(field);
    return m ? { row: Number(m[1]), field: m[2], message: errorMessage(err) } : { row: null, field, message: errorMessage(err) };
  }

  async function review() {
    setServerError(null);
    setSaved(null);
    if (localErrors.size) {
      const [k, message] = [...localErrors.entries()][0];
      const [row, field] = k.split('.');
      setServerError({ row: Number(row), field, message });
      return;
    }
    setBusy(true);
    try {
      setPreview(await api.model.preview({ properties: toInput(rows) }));
    } catch (err) {
      setServerError(toFieldError(err));
    } finally {
      setBusy(false);
    }
  }

  async function apply() {
    if (!preview) return;
    const r = await api.model.update({ properties: toInput(rows), confirm: preview.needsConfirm });
    setPreview(null);
    setModel(r.model);
    setRows(toDraft(r.model));
    const columns = r.applied.filter((c) => c.kind !== 'describe').length;
    setSaved(columns ? `Saved. The users table was migrated (${columns} column change${columns === 1 ? '' : 's'}).` : 'Saved.');
  }

  if (!model) return <div className="page">{loadError ? <div className="alert error">{loadError}</div> : <p className="muted">Loading…</p>}</div>;
  let identifierRank = 0;
  const identifierCount = rows.filter((r) => r.identifier).length;
  const generalError = serverError && serverError.row === null ? serverError.message : null;

  return (
    <div className="page model-page">
      <PageHeader
        title="Customer Model"
        subtitle={
          <>
            The properties every user has. Each one is a column of the <code>users</code> table in the{' '}
            <Link href="/warehouse">warehouse</Link>; pipelines map events to them.
          </>
        }
        actions={
          <>
            <button type="button" className="btn" onClick={() => (setRows(toDraft(model)), setServerError(null), setSaved(null))} disabled={!dirty || busy}>
              Discard changes
            </button>
            <button type="button" className="btn primary" onClick={review} disabled={!dirty || busy}>
              {busy ? 'Checking…' : 'Review changes'}
            </button>
          </>
        }
      />
      {saved && (
        <div className="alert success" role="status" data-testid="model-saved">
          {saved}
        </div>
      )}
      {generalError && (
        <div className="alert error" role="alert" data-testid="model-error">
          {generalError}
        </div>
      )}
      <section className="panel model-panel">
        <table className="model-table">
          <thead>
            <tr>
              <th className="order-col" aria-label="Order" />
              <th>Name</th>
              <th>Type</th>
              <th>Description</th>
              <th title="Identifiers join identities into one user, in priority order (top first)">Identifier</th>
              <th aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => {
              const nameErr = errorFor(i, 'name') ?? errorFor(i, 'previousName');
              const typeErr = errorFor(i, 'type');
              const idErr = errorFor(i, 'identifier');
              const rank = r.identifier ? ++identifierRank : 0;
              const renamed = r.originalName && r.name.trim() !== r.originalName;
              const retyped = r.originalType && r.type !== r.originalType;
              const suggestion = nameErr && r.name ? toSnakeCase(r.name) : '';
              return (
                <tr key={r.key} className={r.originalName ? undefined : 'new-row'} data-testid={`property-${i}`}>
                  <td className="order-col">
                    <button type="button" className="icon-btn" aria-label={`Move ${r.name || 'property'} up`} onClick={() => move(i, -1)} disabled={i === 0}>
                      ↑
                    </button>
                    <button type="button" className="icon-btn" aria-label={`Move ${r.name || 'property'} down`} onClick={() => move(i, 1)} disabled={i === rows.length - 1}>
                      ↓
                    </button>
                  </td>
                  <td>
                    <input
                      name="name"
                      aria-label={`Property ${i + 1} name`}
                      className={nameErr ? 'invalid' : undefined}
                      value={r.name}
                      placeholder="property_name"
                      onChange={(e) => update(i, { name: e.target.value })}
                      spellCheck={false}
                      autoComplete="off"
                    />
                    {renamed && !nameErr && <div className="field-note">renamed from {r.originalName}: values are kept</div>}
                    {!r.originalName && !nameErr && r.name && <div className="field-note new">new column</div>}
                    {nameErr && (
                      <div className="field-error" role="alert">
                        {nameErr}
                        {suggestion && suggestion !== r.name && nameProblem(suggestion) === null && (
                          <button type="button" className="link-btn" onClick={() => update(i, { name: suggestion })}>
                            Use {suggestion}
                          </button>
                        )}
                      </div>
                    )}
                  </td>
                  <td>
                    <select
                      name="type"
                      aria-label={`Property ${i + 1} type`}
                      className={typeErr ? 'invalid' : undefined}
                      value={r.type}
                      onChange={(e) => update(i, { type: e.target.value as PropertyType })}
                    >
                      {PROPERTY_TYPES.map((t) => (
                        <option key={t} value={t}>
                          {t} — {TYPE_HELP[t]}
                        </option>
                      ))}
                    </select>
                    {retyped && !typeErr && <div className="field-note">was {r.originalType}: checked on review</div>}
                    {typeErr && (
                      <div className="field-error" role="alert">
                        {typeErr}
                      </div>
                    )}
                  </td>
                  <td>
                    <input
                      name="description"
                      aria-label={`Property ${i + 1} description`}
                      value={r.description}
                      placeholder="What this property holds"
                      onChange={(e) => update(i, { description: e.target.value })}
                      maxLength={1000}
                    />
                  </td>
                  <td className="identifier-cell">
                    <label className="id-toggle">
                      <input
                        type="checkbox"
                        name="identifier"
                        aria-label={`Property ${i + 1} is an identifier`}
                        checked={r.identifier}
                        onChange={(e) => update(i, { identifier: e.target.checked })}
                      />
                      {r.identifier && <span className="badge">#{rank}</span>}
                    </label>
                    {idErr && (
                      <div className="field-error" role="alert">
                        {idErr}
                      </div>
                    )}
                  </td>
                  <td className="actions-col">
                    <button type="button" className="icon-btn danger" aria-label={`Remove ${r.name || 'property'}`} title="Remove property" onClick={() => remove(i)}>
                      ×
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        <div className="model-footer">
          <button type="button" className="btn" onClick={add}>
            + Add property
          </button>
          <span className="muted small">
            {rows.length} {rows.length === 1 ? 'property' : 'properties'} · {identifierCount} {identifierCount === 1 ? 'identifier' : 'identifiers'} (priority: top
            first) · revision {model.revision}
          </span>
        </div>
      </section>
      {preview && <PreviewDialog preview={preview} onApply={apply} onClose={() => setPreview(null)} />}
    </div>
  );
}
