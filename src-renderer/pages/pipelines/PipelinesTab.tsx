import { useCallback, useEffect, useState } from 'react';
import { api, errorMessage } from '../../api/client';
import type { PipelineListItem } from '../../../src-main/core/api/pipelines';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { Menu } from '../../components/Menu';
import { Switch } from '../../components/Switch';
import { useProgress } from './data';
import { PipelineEditor } from './PipelineEditor';
import { PipelineMonitor, ProgressLine } from './PipelineMonitor';

type View = { kind: 'list' } | { kind: 'edit'; id: string | null } | { kind: 'monitor'; id: string };

/**
 * The connection's Pipelines tab (the seed's "Pipelines" table): Pipeline,
 * Filter, Enable, Manage and ⋮ per pipeline; "Add pipeline..." next to
 * "Import users into warehouse" opens the editor. A pipeline's name opens its monitor.
 */
export function PipelinesTab({ sourceId }: { sourceId: string }) {
  const [pipelines, setPipelines] = useState<PipelineListItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [view, setView] = useState<View>({ kind: 'list' });
  const [deleting, setDeleting] = useState<PipelineListItem | null>(null);
  const [toggling, setToggling] = useState<Set<string>>(new Set());
  const progress = useProgress(sourceId);

  const load = useCallback(
    () =>
      api.pipelines.list({ sourceId }).then(
        (r) => {
          setPipelines(r.pipelines);
          setError(null);
        },
        (e) => setError(errorMessage(e)),
      ),
    [sourceId],
  );
  useEffect(() => {
    void load();
    return api.subscribe((msg) => {
      if (msg.event === 'pipelines.changed' && (msg.payload as { sourceId: string }).sourceId === sourceId) void load();
    });
  }, [load, sourceId]);

  async function toggle(p: PipelineListItem, enabled: boolean) {
    setToggling((s) => new Set(s).add(p.id));
    try {
      const next = await api.pipelines.setEnabled({ id: p.id, enabled });
      setPipelines((list) => list?.map((x) => (x.id === p.id ? next : x)) ?? null);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setToggling((s) => {
        const n = new Set(s);
        n.delete(p.id);
        return n;
      });
    }
  }

  const find = (id: string) => pipelines?.find((p) => p.id === id) ?? null;

  if (view.kind === 'edit') {
    const editing = view.id ? find(view.id) : null;
    return (
      <PipelineEditor
        key={view.id ?? 'new'}
        sourceId={sourceId}
        pipeline={editing}
        onCancel={() => setView(view.id ? { kind: 'monitor', id: view.id } : { kind: 'list' })}
        onDone={(p) => {
          setPipelines((list) => (list ? (list.some((x) => x.id === p.id) ? list.map((x) => (x.id === p.id ? p : x)) : [...list, p]) : [p]));
          setView({ kind: 'list' });
        }}
      />
    );
  }
  if (view.kind === 'monitor') {
    const p = find(view.id);
    if (p) {
      return (
        <PipelineMonitor
          pipeline={p}
          live={progress[p.id]}
          onBack={() => setView({ kind: 'list' })}
          onEdit={() => setView({ kind: 'edit', id: p.id })}
          onToggle={(enabled) => toggle(p, enabled)}
        />
      );
    }
  }

  return (
    <div className="pipelines-tab" data-source-id={sourceId}>
      <section className="panel table-panel">
        <div className="pipelines-head">
          <div>
            <h2>Import users into warehouse</h2>
            <p className="muted">Transfers identified user profiles from the events received from Segment into your warehouse.</p>
          </div>
          <button type="button" className="btn primary" onClick={() => setView({ kind: 'edit', id: null })}>
            Add pipeline...
          </button>
        </div>
        {error && (
          <div className="alert error pad-x" role="alert">
            {error}
          </div>
        )}
        {pipelines === null && !error && <p className="muted pad">Loading…</p>}
        {pipelines?.length === 0 && (
          <div className="pipelines-empty">
            <p>
              <strong>No pipelines yet.</strong> Click <strong>Add pipeline...</strong> to choose which events import users and how their data maps to your
              Customer Model (Visual Mapping, JavaScript or Python).
            </p>
          </div>
        )}
        {pipelines && pipelines.length > 0 && (
          <table className="list-table pipelines-table" data-testid="pipelines-table">
            <thead>
              <tr>
                <th>Pipeline</th>
                <th>Filter</th>
                <th className="col-enable">Enable</th>
                <th className="col-manage">Manage</th>
                <th className="actions">
                  <span className="sr-only">More</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {pipelines.map((p) => {
                const status = progress[p.id] ?? p.status;
                return (
                  <tr key={p.id} data-testid="pipeline-row">
                    <td className="pipeline-cell">
                      <button type="button" className="row-link as-button" onClick={() => setView({ kind: 'monitor', id: p.id })} title="Open the monitor">
                        {p.name}
                      </button>
                      {p.description && <div className="muted small ellipsis-block">{p.description}</div>}
                      <div className="pipeline-meta">
                        {!p.enabled && (
                          <span className="status-badge off" title="No event is processed until the pipeline is enabled">
                            <span className="dot" />
                            Disabled
                          </span>
                        )}
                        {status.lastError ? (
                          <span className="status-badge waiting" title={status.lastError}>
                            <span className="dot" />
                            Error
                          </span>
                        ) : null}
                        <ProgressLine status={status} />
                      </div>
                    </td>
                    <td className="filter-cell" title={p.filterSummary}>
                      <code>{p.filterSummary}</code>
                    </td>
                    <td className="col-enable">
                      <Switch
                        checked={p.enabled}
                        busy={toggling.has(p.id)}
                        label={`${p.enabled ? 'Disable' : 'Enable'} ${p.name}`}
                        onChange={(next) => void toggle(p, next)}
                      />
                    </td>
                    <td className="col-manage">
                      <button type="button" className="btn small" onClick={() => setView({ kind: 'edit', id: p.id })}>
                        Manage
                      </button>
                    </td>
                    <td className="actions">
                      <Menu
                        label={`More actions for ${p.name}`}
                        items={[
                          { label: 'Monitor', onSelect: () => setView({ kind: 'monitor', id: p.id }) },
                          { label: 'Delete', danger: true, onSelect: () => setDeleting(p) },
                        ]}
                      />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </section>
      {deleting && (
        <ConfirmDialog
          title="Delete this pipeline?"
          confirmLabel="Delete pipeline"
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await api.pipelines.delete({ id: deleting.id });
            setPipelines((list) => list?.filter((x) => x.id !== deleting.id) ?? null);
          }}
        >
          <p className="confirm-text">
            <strong>{deleting.name}</strong> stops at once and is removed with its monitoring and error list. Users it already imported stay in the
            warehouse.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
