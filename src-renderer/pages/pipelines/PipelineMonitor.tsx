import { useCallback, useEffect, useState } from 'react';
import { api, errorMessage } from '../../api/client';
import type { PipelineErrorGroup, PipelineListItem, PipelineMetrics, PipelineStatus } from '../../../src-main/core/api/pipelines';
import { BarChart } from '../../components/BarChart';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { Switch } from '../../components/Switch';
import { fullTime, relativeTime } from '../sources/format';
import { formatCount } from './data';

const RANGES = [
  { minutes: 60, label: 'Last hour' },
  { minutes: 360, label: 'Last 6 hours' },
  { minutes: 1440, label: 'Last 24 hours' },
];

const SERIES = [
  { key: 'usersCreated', label: 'Users created', color: '#4f46e5' },
  { key: 'usersUpdated', label: 'Users updated', color: '#8b93f8' },
  { key: 'filteredOut', label: 'Filtered out', color: '#cfd4e0' },
  { key: 'transformFailed', label: 'Transformation failed', color: '#e0564c' },
  { key: 'invalidOutput', label: 'Invalid output', color: '#f0a32a' },
];

function hhmm(iso: string): string {
  const d = new Date(iso);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** Groups N points into at most `max` bars (sums). */
function bucket(minutes: PipelineMetrics['minutes'], max = 60) {
  const size = Math.max(1, Math.ceil(minutes.length / max));
  const out: { label: string; values: Record<string, number> }[] = [];
  for (let i = 0; i < minutes.length; i += size) {
    const group = minutes.slice(i, i + size);
    const values: Record<string, number> = {};
    for (const m of group) for (const s of SERIES) values[s.key] = (values[s.key] ?? 0) + (m[s.key as keyof typeof m] as number);
    const label = size === 1 ? hhmm(group[0].minute) : `${hhmm(group[0].minute)}–${hhmm(group[group.length - 1].minute)}`;
    out.push({ label, values });
  }
  return out;
}

export function ProgressLine({ status }: { status: PipelineStatus }) {
  const pct = status.total === 0 ? 100 : Math.floor((status.processed / status.total) * 100);
  if (status.replaying) {
    return (
      <div className="replay-progress" data-testid="replay-progress">
        <div className="progress-bar" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-label="Replay progress">
          <span style={{ width: `${pct}%` }} />
        </div>
        <span>
          Replaying: {formatCount(status.processed)} of {formatCount(status.total)} events ({pct}%)
        </span>
      </div>
    );
  }
  if (status.total === 0) {
    return (
      <span className="muted small" data-testid="pipeline-progress">
        No events from this source yet
      </span>
    );
  }
  return (
    <span className="muted small" data-testid="pipeline-progress">
      {formatCount(status.processed)} of {formatCount(status.total)} events processed
      {status.pending > 0 ? ` · ${formatCount(status.pending)} pending` : ' · up to date'}
      {status.lastRunAt ? ` · last batch ${relativeTime(status.lastRunAt)}` : ''}
    </span>
  );
}

/** A pipeline's monitor: per-minute chart, totals, progress, replay and the error list. */
export function PipelineMonitor({
  pipeline,
  live,
  onBack,
  onEdit,
  onToggle,
}: {
  pipeline: PipelineListItem;
  live: PipelineStatus | undefined;
  onBack(): void;
  onEdit(): void;
  onToggle(next: boolean): Promise<void>;
}) {
  const [minutes, setMinutes] = useState(60);
  const [metrics, setMetrics] = useState<PipelineMetrics | null>(null);
  const [errors, setErrors] = useState<{ errors: PipelineErrorGroup[]; total: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirmReplay, setConfirmReplay] = useState(false);
  const [toggling, setToggling] = useState(false);

  const load = useCallback(async () => {
    try {
      const [m, e] = await Promise.all([api.pipelines.metrics({ id: pipeline.id, minutes }), api.pipelines.errors({ id: pipeline.id, limit: 100 })]);
      setMetrics(m);
      setErrors(e);
      setError(null);
    } catch (err) {
      setError(errorMessage(err));
    }
  }, [pipeline.id, minutes]);

  useEffect(() => {
    void load();
    const t = setInterval(() => void load(), 5000);
    return () => clearInterval(t);
  }, [load]);
  // Progress pushes refresh the numbers sooner (at most every 2 s).
  const [lastPushLoad, setLastPushLoad] = useState(0);
  useEffect(() => {
    if (!live || Date.now() - lastPushLoad < 2000) return;
    setLastPushLoad(Date.now());
    void load();
  }, [live]);

  const status = live ?? metrics?.status ?? pipeline.status;
  const t = metrics?.totals;

  return (
    <div className="pipeline-monitor" data-testid="pipeline-monitor">
      <div className="editor-head">
        <div className="monitor-title">
          <button type="button" className="back-link as-button" onClick={onBack}>
            ‹ Pipelines
          </button>
          <h2>{pipeline.name}</h2>
          {pipeline.description && <p className="muted">{pipeline.description}</p>}
          <p className="muted small">
            Filter: <code>{pipeline.filterSummary}</code> · {pipeline.transformation.kind === 'mapping' ? 'Visual Mapping' : pipeline.transformation.kind === 'javascript' ? 'JavaScript' : 'Python'}
          </p>
        </div>
        <div className="editor-actions">
          <label className="switch-label">
            <Switch
              checked={pipeline.enabled}
              busy={toggling}
              label={pipeline.enabled ? 'Disable pipeline' : 'Enable pipeline'}
              onChange={(next) => {
                setToggling(true);
                void onToggle(next).finally(() => setToggling(false));
              }}
            />
            {pipeline.enabled ? 'Enabled' : 'Disabled'}
          </label>
          <button type="button" className="btn" onClick={() => setConfirmReplay(true)} disabled={status.replaying}>
            Replay…
          </button>
          <button type="button" className="btn primary" onClick={onEdit}>
            Manage
          </button>
        </div>
      </div>
      {error && <div className="alert error">{error}</div>}
      {status.lastError && (
        <div className="alert error" role="alert">
          The pipeline is stopped by an error and retries by itself: {status.lastError}
        </div>
      )}
      {!pipeline.enabled && <div className="alert warn">This pipeline is disabled: no event is processed until it is enabled again; it then resumes where it stopped.</div>}
      <section className="panel">
        <div className="panel-title-row">
          <div>
            <h3>Activity</h3>
            <ProgressLine status={status} />
          </div>
          <select aria-label="Time range" className="small-select" value={minutes} onChange={(e) => setMinutes(Number(e.target.value))}>
            {RANGES.map((r) => (
              <option key={r.minutes} value={r.minutes}>
                {r.label}
              </option>
            ))}
          </select>
        </div>
        <dl className="stat-strip metrics-strip" data-testid="metrics-totals">
          <div>
            <dt>Events received</dt>
            <dd>{t ? formatCount(t.received) : '…'}</dd>
          </div>
          <div>
            <dt>Filtered out</dt>
            <dd>{t ? formatCount(t.filteredOut) : '…'}</dd>
          </div>
          <div className={t && t.transformFailed > 0 ? 'bad' : ''}>
            <dt>Transformation failed</dt>
            <dd>{t ? formatCount(t.transformFailed) : '…'}</dd>
          </div>
          <div className={t && t.invalidOutput > 0 ? 'bad' : ''}>
            <dt>Invalid output</dt>
            <dd>{t ? formatCount(t.invalidOutput) : '…'}</dd>
          </div>
          <div>
            <dt>Users created</dt>
            <dd data-testid="users-created">{t ? formatCount(t.usersCreated) : '…'}</dd>
          </div>
          <div>
            <dt>Users updated</dt>
            <dd>{t ? formatCount(t.usersUpdated) : '…'}</dd>
          </div>
        </dl>
        {metrics && <BarChart label="Events per minute by outcome" points={bucket(metrics.minutes)} series={SERIES} />}
      </section>
      <section className="panel table-panel">
        <div className="panel-pad-head">
          <h3>Errors</h3>
          <p className="muted small">Events that failed are skipped and grouped here by message, with the last example. A replay clears the list.</p>
        </div>
        {errors && errors.errors.length === 0 && <p className="muted errors-empty">No errors{status.processed > 0 ? ': every processed event went through.' : '.'}</p>}
        {errors && errors.errors.length > 0 && (
          <table className="list-table errors-table" data-testid="errors-table">
            <thead>
              <tr>
                <th>Message</th>
                <th className="num">Events</th>
                <th>Last example</th>
                <th>Last seen</th>
              </tr>
            </thead>
            <tbody>
              {errors.errors.map((e) => (
                <tr key={e.message}>
                  <td className="error-message" title={e.message}>
                    <span className={`err-kind k-${e.kind}`}>{e.kind === 'validation' ? 'invalid output' : e.code === 'timeout' ? 'timeout' : e.kind}</span>
                    {e.message}
                  </td>
                  <td className="num">{formatCount(e.count)}</td>
                  <td title={`Event #${e.lastSeq}`}>
                    <code className="ellipsis">{e.lastMessageId ?? `#${e.lastSeq}`}</code>
                  </td>
                  <td title={fullTime(e.lastAt)}>{relativeTime(e.lastAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {errors && errors.total > errors.errors.length && <p className="muted small pad">Showing {errors.errors.length} of {errors.total} messages.</p>}
      </section>
      {confirmReplay && (
        <ConfirmDialog
          title="Replay this pipeline?"
          confirmLabel="Replay"
          onClose={() => setConfirmReplay(false)}
          onConfirm={async () => {
            await api.pipelines.replay({ id: pipeline.id });
            await load();
          }}
        >
          <p className="confirm-text">
            Every event of this source ({formatCount(status.total)}) is processed again with the current filter and transformation. Users are updated
            in place (the newest value of each property wins), never duplicated. The error list is cleared.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
