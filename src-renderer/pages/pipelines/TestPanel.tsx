import { useEffect, useRef, useState } from 'react';
import { api, errorMessage } from '../../api/client';
import type { PreviewResult } from '../../../src-main/core/api/pipelines';
import type { Filter } from '../../../src-main/core/pipelines/filter';
import { summarizeCondition, validateFilter } from '../../../src-main/core/pipelines/filter';
import type { Transformation } from '../../../src-main/core/transform/types';
import { JsonViewer } from '../../components/JsonViewer';
import type { SampleEvent } from './data';

const PASTE = '__paste__';

function parseEvent(text: string): { event?: Record<string, unknown>; error?: string } {
  if (!text.trim()) return { error: 'Paste a Segment event as JSON' };
  try {
    const v: unknown = JSON.parse(text);
    if (!v || typeof v !== 'object' || Array.isArray(v)) return { error: 'The event must be a JSON object' };
    return { event: v as Record<string, unknown> };
  } catch (e) {
    return { error: `Not valid JSON: ${(e as Error).message}` };
  }
}

const STAGE: Record<string, string> = {
  check: 'Transformation',
  transform: 'Run',
  validate: 'Type error',
  identity: 'Identity',
};

/** Pick a recent event (or paste one) and see what the pipeline would do with it. */
export function TestPanel({
  sourceId,
  filter,
  transformation,
  events,
  blocked,
}: {
  sourceId: string;
  filter: Filter | null;
  transformation: Transformation;
  events: SampleEvent[];
  /** Why the test cannot run now (e.g. transformation errors), or null. */
  blocked: string | null;
}) {
  const [pick, setPick] = useState<string>('');
  const [pasted, setPasted] = useState('');
  const [result, setResult] = useState<PreviewResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [running, setRunning] = useState(false);
  const run = useRef(0);

  useEffect(() => {
    if (pick === '' && events.length > 0) setPick(events[0].id);
  }, [events, pick]);

  const selected = pick === PASTE ? null : events.find((e) => e.id === pick) ?? null;
  const parsed = pick === PASTE ? parseEvent(pasted) : selected ? { event: selected.payload } : { error: 'No event to test with yet' };
  const filterOk = validateFilter(filter).length === 0;

  async function test() {
    if (!parsed.event || blocked || !filterOk) return;
    const mine = ++run.current;
    setRunning(true);
    setError(null);
    try {
      const r = await api.pipelines.preview({ sourceId, filter, transformation, event: parsed.event });
      if (run.current === mine) setResult(r);
    } catch (e) {
      if (run.current === mine) {
        setResult(null);
        setError(errorMessage(e));
      }
    } finally {
      if (run.current === mine) setRunning(false);
    }
  }

  // Re-run shortly after anything changes, like a live preview. Python code runs on demand
  // (each version of the code starts its own Pyodide engine, ~2 s).
  const python = transformation.kind === 'python';
  const key = JSON.stringify([pick, pick === PASTE ? pasted : '', filter, python ? 'python' : transformation, blocked]);
  useEffect(() => {
    if (!parsed.event || blocked || !filterOk) return;
    const t = setTimeout(() => void test(), 450);
    return () => clearTimeout(t);
  }, [key]);

  return (
    <section className="panel test-panel" aria-label="Test" data-testid="test-panel">
      <div className="panel-title-row">
        <h2>Test</h2>
        <button type="button" className="btn small" onClick={() => void test()} disabled={running || !parsed.event || !!blocked || !filterOk}>
          {running ? 'Running…' : 'Run test'}
        </button>
      </div>
      <label className="field">
        <span>Event</span>
        <select aria-label="Event to test with" value={pick} onChange={(e) => setPick(e.target.value)}>
          {events.length === 0 && <option value="">No recent events: paste one</option>}
          {events.map((e) => (
            <option key={e.id} value={e.id}>
              {e.label}
            </option>
          ))}
          <option value={PASTE}>Paste JSON…</option>
        </select>
      </label>
      {pick === PASTE && (
        <textarea
          className="paste-json"
          aria-label="Event JSON"
          rows={8}
          spellCheck={false}
          placeholder='{"type": "identify", "userId": "42", "traits": {"email": "ana@example.com"}}'
          value={pasted}
          onChange={(e) => setPasted(e.target.value)}
        />
      )}
      {parsed.error && pick === PASTE && pasted.trim() !== '' && <div className="field-error">{parsed.error}</div>}
      {blocked && <p className="muted small">{blocked}</p>}
      {python && !blocked && <p className="muted small">Python runs when you click Run test (its engine takes a couple of seconds to start).</p>}
      {error && (
        <div className="alert error" role="alert">
          {error}
        </div>
      )}
      {result && !blocked && (
        <div className="test-result" data-testid="test-result">
          <div className={result.filter.passed ? 'test-line ok' : 'test-line skip'}>
            <strong>Filter</strong>
            <span data-testid="test-filter">{result.filter.passed ? 'passes: the event is imported' : 'does not pass: the event is skipped'}</span>
          </div>
          {filter && result.filter.conditions.length > 0 && (
            <ul className="cond-results">
              {filter.conditions.map((c, i) => (
                <li key={i} className={result.filter.conditions[i] ? 'yes' : 'no'}>
                  <span aria-hidden="true">{result.filter.conditions[i] ? '✓' : '✗'}</span> {summarizeCondition(c)}
                </li>
              ))}
            </ul>
          )}
          {result.ran && (
            <div className={result.ok ? 'test-line ok' : 'test-line bad'}>
              <strong>Output</strong>
              <span>
                {result.ok ? 'valid' : 'not imported'} · {result.ms.toLocaleString('en-US', { maximumFractionDigits: 2 })} ms
              </span>
            </div>
          )}
          {result.errors.length > 0 && (
            <ul className="test-errors" data-testid="test-errors">
              {result.errors.map((e, i) => (
                <li key={i}>
                  <span className="err-stage">{STAGE[e.stage] ?? e.stage}</span>
                  {e.property && <code>{e.property}</code>}
                  {e.line !== undefined && <span className="muted">line {e.line}{e.column !== undefined ? `:${e.column}` : ''}</span>}
                  <span>{e.message}</span>
                </li>
              ))}
            </ul>
          )}
          {result.output && (
            <table className="output-table" data-testid="test-output">
              <tbody>
                {Object.entries(result.output).map(([k, v]) => (
                  <tr key={k}>
                    <th>{k}</th>
                    <td>{v === null ? <span className="null">null</span> : typeof v === 'object' ? JSON.stringify(v) : String(v)}</td>
                  </tr>
                ))}
                {Object.keys(result.output).length === 0 && (
                  <tr>
                    <td className="muted">No property assigned</td>
                  </tr>
                )}
              </tbody>
            </table>
          )}
          {!result.ok && result.ran && result.raw !== null && (
            <details>
              <summary>What the transformation returned</summary>
              <JsonViewer value={result.raw} />
            </details>
          )}
          {result.ok && (
            <p className="muted small">
              User key: {result.identity.userId ? <code>userId {result.identity.userId}</code> : <code>anonymousId {result.identity.anonymousId}</code>}
            </p>
          )}
          {result.logs.length > 0 && (
            <div className="test-logs">
              <strong>Logs</strong>
              <pre>{result.logs.map((l) => `${l.level === 'log' ? '' : `[${l.level}] `}${l.message}`).join('\n')}</pre>
            </div>
          )}
        </div>
      )}
      {selected && (
        <details className="test-event">
          <summary>Event JSON</summary>
          <JsonViewer value={selected.payload} />
        </details>
      )}
    </section>
  );
}
