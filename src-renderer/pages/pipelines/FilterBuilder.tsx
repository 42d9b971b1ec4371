import { useCallback } from 'react';
import { AutocompleteInput, type Suggestion } from '../../components/Autocomplete';
import {
  FILTER_OPERATORS,
  OPERATOR_ARITY,
  presetFilter,
  summarizeFilter,
  validateFilter,
  type Filter,
  type FilterCondition,
  type FilterOperator,
} from '../../../src-main/core/pipelines/filter';

/** Suggest event paths for the dotted word before the caret. */
export function pathSuggester(paths: string[]) {
  return (before: string): { from: number; items: Suggestion[] } | null => {
    const m = /[A-Za-z_$][\w$.-]*$|$/.exec(before)!;
    const word = m[0];
    const lower = word.toLowerCase();
    const items = paths
      .filter((p) => p.toLowerCase().startsWith(lower) && p !== word)
      .sort((a, b) => a.split('.').length - b.split('.').length || a.localeCompare(b))
      .map((p) => ({ insert: p, label: p }));
    return { from: before.length - word.length, items };
  };
}

const GROUPS: { label: string; ops: FilterOperator[] }[] = [
  { label: 'Equality', ops: ['is', 'is not', 'is one of', 'is not one of'] },
  { label: 'Text', ops: ['contains', 'does not contain', 'starts with', 'ends with'] },
  {
    label: 'Numbers',
    ops: ['is greater than', 'is greater than or equal to', 'is less than', 'is less than or equal to', 'is between', 'is not between'],
  },
  { label: 'Dates', ops: ['is before', 'is on or before', 'is after', 'is on or after'] },
  { label: 'Presence', ops: ['is empty', 'is not empty', 'exists', 'does not exist', 'is null', 'is not null', 'is true', 'is false'] },
];
// Every operator is in a group.
void FILTER_OPERATORS;

function valuesFor(op: FilterOperator, current: string[] = []): string[] | undefined {
  const arity = OPERATOR_ARITY[op];
  if (arity === 0) return undefined;
  if (arity === 1) return [current[0] ?? ''];
  if (arity === 2) return [current[0] ?? '', current[1] ?? ''];
  return current.length ? current : [''];
}

export function FilterBuilder({ filter, onChange, paths }: { filter: Filter | null; onChange(f: Filter | null): void; paths: string[] }) {
  const suggest = useCallback(pathSuggester(paths), [paths]);
  const problems = validateFilter(filter);
  const problemOf = (i: number) => problems.find((p) => p.index === i)?.message.replace(/^Condition \d+: /, '');

  if (filter === null) {
    return (
      <div className="filter-builder" data-testid="filter-builder">
        <p className="filter-all">
          <strong>All events</strong> are imported: no filter is set.
        </p>
        <div className="filter-actions">
          <button type="button" className="btn small" onClick={() => onChange(presetFilter())}>
            Use the preset filter
          </button>
          <button type="button" className="btn small" onClick={() => onChange({ logical: 'and', conditions: [{ property: '', operator: 'is', values: [''] }] })}>
            Add a condition
          </button>
        </div>
      </div>
    );
  }

  const set = (i: number, c: FilterCondition) => onChange({ ...filter, conditions: filter.conditions.map((x, j) => (j === i ? c : x)) });
  const remove = (i: number) => {
    const conditions = filter.conditions.filter((_, j) => j !== i);
    onChange(conditions.length ? { ...filter, conditions } : null);
  };

  return (
    <div className="filter-builder" data-testid="filter-builder">
      <div className="filter-head">
        Import events that match
        <select
          aria-label="Match all or any condition"
          className="small-select"
          value={filter.logical}
          onChange={(e) => onChange({ ...filter, logical: e.target.value as 'and' | 'or' })}
        >
          <option value="and">all</option>
          <option value="or">any</option>
        </select>
        of these conditions:
      </div>
      <ol className="conditions">
        {filter.conditions.map((c, i) => {
          const problem = problemOf(i);
          const arity = OPERATOR_ARITY[c.operator];
          return (
            <li key={i} className="condition" data-testid="filter-condition">
              {i > 0 && <span className="logical">{filter.logical}</span>}
              <div className="condition-row">
                <AutocompleteInput
                  className="cond-property"
                  aria-label={`Condition ${i + 1} property`}
                  placeholder="traits.email"
                  value={c.property}
                  onChange={(property) => set(i, { ...c, property })}
                  suggest={suggest}
                />
                <select
                  aria-label={`Condition ${i + 1} operator`}
                  value={c.operator}
                  onChange={(e) => {
                    const operator = e.target.value as FilterOperator;
                    set(i, { property: c.property, operator, ...(valuesFor(operator, c.values) ? { values: valuesFor(operator, c.values) } : {}) });
                  }}
                >
                  {GROUPS.map((g) => (
                    <optgroup key={g.label} label={g.label}>
                      {g.ops.map((op) => (
                        <option key={op} value={op}>
                          {op}
                        </option>
                      ))}
                    </optgroup>
                  ))}
                </select>
                {arity === 1 && (
                  <input
                    aria-label={`Condition ${i + 1} value`}
                    className="cond-value"
                    value={c.values?.[0] ?? ''}
                    placeholder={c.operator.includes('before') || c.operator.includes('after') ? '2025-01-31' : 'value'}
                    onChange={(e) => set(i, { ...c, values: [e.target.value] })}
                  />
                )}
                {arity === 2 && (
                  <span className="cond-between">
                    <input aria-label={`Condition ${i + 1} from`} value={c.values?.[0] ?? ''} onChange={(e) => set(i, { ...c, values: [e.target.value, c.values?.[1] ?? ''] })} />
                    <span className="muted">and</span>
                    <input aria-label={`Condition ${i + 1} to`} value={c.values?.[1] ?? ''} onChange={(e) => set(i, { ...c, values: [c.values?.[0] ?? '', e.target.value] })} />
                  </span>
                )}
                {arity === 0 && <span aria-hidden="true" />}
                {arity === 'many' && (
                  <input
                    aria-label={`Condition ${i + 1} values`}
                    className="cond-value"
                    title="Separate values with commas"
                    placeholder="a, b, c"
                    value={(c.values ?? []).join(', ')}
                    onChange={(e) => set(i, { ...c, values: e.target.value.split(',').map((v) => v.trim()) })}
                  />
                )}
                <button type="button" className="icon-btn danger" aria-label={`Remove condition ${i + 1}`} title="Remove condition" onClick={() => remove(i)}>
                  ×
                </button>
              </div>
              {problem && c.property.trim() !== '' && <div className="field-error">{problem}</div>}
            </li>
          );
        })}
      </ol>
      <div className="filter-actions">
        <button
          type="button"
          className="btn small"
          onClick={() => onChange({ ...filter, conditions: [...filter.conditions, { property: '', operator: 'is', values: [''] }] })}
        >
          + Add condition
        </button>
        <button type="button" className="btn small" onClick={() => onChange(null)}>
          Remove filter (all events)
        </button>
        <span className="filter-summary muted" title={summarizeFilter(filter)}>
          {summarizeFilter(filter)}
        </span>
      </div>
    </div>
  );
}
