import { CodeEditor } from '../../components/CodeEditor';
import { setupJavaScript } from '../../components/monacoJs';
import type { TransformationError } from '../../../src-main/core/transform/types';

setupJavaScript();

const HELP = {
  javascript: (
    <>
      <code>function transform(event)</code> receives the Segment event (typed: try <code>event.</code>) and returns an object of Customer Model
      properties. It runs in a sandbox (QuickJS) without file system, network or process access, with a time and a memory limit per event;{' '}
      <code>console.log</code> output is shown in the Test panel.
    </>
  ),
  python: (
    <>
      <code>def transform(event)</code> receives the Segment event as a dict and returns a dict of Customer Model properties. It runs in Pyodide in a
      separate worker (started on first use, no Python install needed) with a time limit per event; <code>print</code> output is shown in the Test
      panel.
    </>
  ),
};

/** Monaco for a JavaScript or Python transformation, with its errors (line and column) under it. */
export default function CodeTransformation({
  kind,
  source,
  onChange,
  errors,
  onReset,
}: {
  kind: 'javascript' | 'python';
  source: string;
  onChange(source: string): void;
  errors: TransformationError[];
  onReset(): void;
}) {
  return (
    <div className="code-transformation" data-testid={`code-${kind}`}>
      <p className="muted small">{HELP[kind]}</p>
      <CodeEditor key={kind} value={source} onChange={onChange} language={kind} height={320} ariaLabel={`${kind === 'javascript' ? 'JavaScript' : 'Python'} transformation`} />
      {errors.length > 0 && (
        <ul className="code-errors" role="alert">
          {errors.map((e, i) => (
            <li key={i}>
              {e.line !== undefined && (
                <strong>
                  Line {e.line}
                  {e.column !== undefined ? `, column ${e.column}` : ''}:{' '}
                </strong>
              )}
              {e.message}
            </li>
          ))}
        </ul>
      )}
      <div className="code-foot">
        <button type="button" className="btn small" onClick={onReset}>
          Reset to the starter template
        </button>
      </div>
    </div>
  );
}
