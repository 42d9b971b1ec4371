import { useState } from 'react';
import { api, errorMessage } from '../api/client';
import type { QueryResult } from '../../src-main/core/api/warehouse';
import { CodeEditor } from '../components/CodeEditor';
import { DataTable } from '../components/DataTable';
import { PageHeader } from '../components/PageHeader';
import { Icon } from '../components/icons';
import { TablesPanel } from '../components/TablesPanel';
import { monaco } from '../components/monaco';

const START_SQL = `-- Read-only SQL over your local DuckDB warehouse. Ctrl/Cmd+Enter runs it.
SELECT table_name, estimated_size AS rows
FROM duckdb_tables()
ORDER BY table_name;`;

export function WarehousePage() {
  const [sql, setSql] = useState(START_SQL);
  const [result, setResult] = useState<QueryResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [running, setRunning] = useState(false);

  // A click on a table or column name in the side panel inserts it at the editor's cursor.
  function insert(text: string) {
    const editor = monaco.editor.getEditors().find((e) => e.getContainerDomNode().closest('.warehouse-editor'));
    if (!editor) return setSql((s) => `${s}${text}`);
    const selection = editor.getSelection();
    if (selection) editor.executeEdits('tables-panel', [{ range: selection, text, forceMoveMarkers: true }]);
    editor.focus();
  }

  async function run() {
    setRunning(true);
    setError(null);
    try {
      setResult(await api.warehouse.query({ sql }));
    } catch (err) {
      setResult(null);
      setError(errorMessage(err));
    } finally {
      setRunning(false);
    }
  }

  return (
    <div className="page">
      <PageHeader
        title="Warehouse"
        subtitle="Query the local DuckDB warehouse. The console is read-only: writes are refused."
        actions={
          <button className="btn primary" onClick={run} disabled={running} aria-label="Run query">
            <Icon name="play" size={14} /> {running ? 'Running…' : 'Run'} <kbd>Ctrl+Enter</kbd>
          </button>
        }
      />
      <div className="warehouse-layout">
        <div className="warehouse-main">
          <section className="panel warehouse-editor">
            <CodeEditor language="sql" value={sql} onChange={setSql} onRun={run} height={200} ariaLabel="SQL editor" />
          </section>
          {error && (
            <div className="alert error" role="alert" data-testid="query-error">
              {error}
            </div>
          )}
          {result && (
            <section className="panel results" data-testid="query-result">
              <div className="panel-bar">
                <span>
                  {result.rows.length.toLocaleString()} row{result.rows.length === 1 ? '' : 's'}
                  {result.truncated ? ' (first rows only)' : ''}
                </span>
                <span className="muted">{result.elapsedMs} ms</span>
              </div>
              {result.columns.length ? <DataTable columns={result.columns} rows={result.rows} /> : <p className="muted pad">No columns.</p>}
            </section>
          )}
        </div>
        <TablesPanel onInsert={insert} />
      </div>
    </div>
  );
}
