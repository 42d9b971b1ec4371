import { useCallback } from 'react';
import { AutocompleteInput, type Suggestion } from '../../components/Autocomplete';
import { MAPPING_FUNCTIONS } from '../../../src-main/core/transform/mapping/functions';
import type { TransformationError } from '../../../src-main/core/transform/types';
import type { ModelProp } from './data';

/** Suggestions for the word at the caret: functions (inserted with their parenthesis) and event paths. */
export function expressionSuggester(paths: string[]) {
  return (before: string): { from: number; items: Suggestion[] } | null => {
    // Inside a string literal: nothing to suggest.
    const quotes = (before.match(/(?<!\\)["']/g) ?? []).length;
    if (quotes % 2 === 1) return null;
    const word = /[A-Za-z_][\w.]*$/.exec(before)?.[0] ?? '';
    const lower = word.toLowerCase();
    const fns: Suggestion[] = word.includes('.')
      ? []
      : MAPPING_FUNCTIONS.filter((f) => f.name.startsWith(lower)).map((f) => ({
          insert: `${f.name}()`,
          caret: f.name.length + 1,
          label: <code>{f.signature}</code>,
          detail: f.description,
        }));
    const ps: Suggestion[] = paths
      .filter((p) => p.toLowerCase().startsWith(lower) && p !== word)
      .sort((a, b) => a.split('.').length - b.split('.').length || a.localeCompare(b))
      .map((p) => ({ insert: p, label: p, detail: 'event' }));
    const items = word === '' ? [...ps.slice(0, 20), ...fns] : [...ps, ...fns];
    return { from: before.length - word.length, items };
  };
}

/** The expression with the error's characters marked, then the message. */
export function ErrorAt({ expression, error }: { expression: string; error: TransformationError }) {
  const start = Math.max(0, Math.min(error.start ?? 0, expression.length));
  const end = Math.max(start, Math.min(error.end ?? start + 1, expression.length));
  const where = expression.length === 0 ? '' : end > start + 1 ? `characters ${start + 1}–${end}` : `character ${start + 1}`;
  return (
    <div className="expr-error" role="alert">
      {expression && (
        <code className="expr-mirror" aria-hidden="true">
          {expression.slice(0, start)}
          <mark>{expression.slice(start, end) || ' '}</mark>
          {expression.slice(end)}
        </code>
      )}
      <span>
        {where && <strong>{where}: </strong>}
        {error.message}
      </span>
    </div>
  );
}

export function MappingEditor({
  properties,
  mapping,
  onChange,
  errors,
  paths,
}: {
  properties: ModelProp[];
  mapping: Record<string, string>;
  onChange(m: Record<string, string>): void;
  errors: TransformationError[];
  paths: string[];
}) {
  const suggest = useCallback(expressionSuggester(paths), [paths]);
  const assigned = properties.filter((p) => (mapping[p.name] ?? '').trim() !== '').length;
  const unknown = Object.keys(mapping).filter((k) => !properties.some((p) => p.name === k));
  return (
    <div className="mapping-editor" data-testid="mapping-editor">
      <div className="mapping-head">
        <span>Customer Model property</span>
        <span>
          Expression <span className="muted">— paths like traits.email, "text", 42, and functions such as coalesce, lower, trim</span>
        </span>
      </div>
      {properties.map((p) => {
        const expr = mapping[p.name] ?? '';
        const error = errors.find((e) => e.property === p.name);
        return (
          <div key={p.name} className={error ? 'mapping-row has-error' : 'mapping-row'} data-testid={`mapping-row-${p.name}`}>
            <label className="mapping-prop" htmlFor={`map-${p.name}`} title={p.description}>
              <code>{p.name}</code>
              <span className="type-pill">{p.type}</span>
            </label>
            <AutocompleteInput
              id={`map-${p.name}`}
              className="expr-input"
              aria-label={`Expression for ${p.name}`}
              placeholder="not mapped"
              value={expr}
              invalid={!!error}
              onChange={(v) => onChange({ ...mapping, [p.name]: v })}
              suggest={suggest}
              below={error ? <ErrorAt expression={expr} error={error} /> : null}
            />
          </div>
        );
      })}
      {unknown.length > 0 && (
        <div className="alert warn">
          Mapped but not in the Customer Model: {unknown.join(', ')}.{' '}
          <button
            type="button"
            className="btn small"
            onClick={() => onChange(Object.fromEntries(Object.entries(mapping).filter(([k]) => !unknown.includes(k))))}
          >
            Remove them
          </button>
        </div>
      )}
      <p className="muted small">
        {assigned} of {properties.length} properties mapped. Unmapped properties are left untouched; a value that is null keeps the user's
        current value.
      </p>
    </div>
  );
}
