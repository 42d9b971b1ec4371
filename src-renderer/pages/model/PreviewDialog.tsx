import { useState } from 'react';
import { errorMessage } from '../../api/client';
import type { ModelChange, ModelPreview } from '../../../src-main/core/api/model';
import { Modal } from '../../components/Modal';

const n = (v: number) => v.toLocaleString('en-US');
const sample = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v));

function ChangeLine({ c, users }: { c: ModelChange; users: number }) {
  switch (c.kind) {
    case 'add':
      return (
        <li className="change add">
          <span className="tag">add</span> <code>{c.property}</code> as <b>{c.type}</b> — a new empty column for {n(users)} users
        </li>
      );
    case 'rename':
      return (
        <li className="change rename">
          <span className="tag">rename</span> <code>{c.from}</code> → <code>{c.to}</code> — values are kept
        </li>
      );
    case 'drop':
      return (
        <li className="change drop">
          <span className="tag">remove</span> <code>{c.property}</code> —{' '}
          {c.valuesLost ? (
            <b>
              {n(c.valuesLost)} stored value{c.valuesLost === 1 ? '' : 's'} will be deleted
            </b>
          ) : (
            'the column is empty, nothing is lost'
          )}
          {c.samples.length > 0 && <div className="samples">e.g. {c.samples.map(sample).join(', ')}</div>}
        </li>
      );
    case 'type':
      return (
        <li className={`change type${c.failing ? ' blocked' : ''}`}>
          <span className="tag">type</span> <code>{c.property}</code>: {c.from} → <b>{c.to}</b> —{' '}
          {c.failing ? (
            <>
              <b>
                {n(c.failing)} of {n(c.values)} values do not convert
              </b>
              <div className="samples">
                Values that do not convert: {c.samples.map(sample).join(', ')}
              </div>
            </>
          ) : c.values ? (
            `all ${n(c.values)} values convert`
          ) : (
            'no values stored yet'
          )}
        </li>
      );
    case 'describe':
      return (
        <li className="change describe">
          <span className="tag">edit</span> <code>{c.property}</code> — description or identifier setting
        </li>
      );
  }
}

/** What a model change will do to the users table, before it is applied. */
export function PreviewDialog({ preview, onApply, onClose }: { preview: ModelPreview; onApply: () => Promise<void>; onClose: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [showSql, setShowSql] = useState(false);
  const lost = preview.changes.reduce((s, c) => s + (c.kind === 'drop' ? c.valuesLost : 0), 0);
  const order: ModelChange['kind'][] = ['drop', 'type', 'rename', 'add', 'describe'];
  const changes = [...preview.changes].sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));

  async function apply() {
    setBusy(true);
    setError(null);
    try {
      await onApply();
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  }

  return (
    <Modal
      title="Review model changes"
      onClose={onClose}
      width={640}
      testId="model-preview"
      footer={
        <>
          <button type="button" className="btn" onClick={onClose} disabled={busy}>
            Back to editing
          </button>
          <button
            type="button"
            className={preview.needsConfirm ? 'btn danger-solid' : 'btn primary'}
            onClick={apply}
            disabled={busy || !!preview.blocked}
            data-testid="apply-model"
          >
            {busy ? 'Applying…' : preview.needsConfirm ? (lost ? `Delete ${n(lost)} values and apply` : 'Remove and apply') : 'Apply changes'}
          </button>
        </>
      }
    >
      <p>
        The <code>users</code> table ({n(preview.users)} users) changes in one transaction: all of it happens, or nothing. No user row is
        removed.
      </p>
      {preview.blocked && (
        <div className="alert error" role="alert" data-testid="preview-blocked">
          {preview.blocked.message}
        </div>
      )}
      {changes.length === 0 ? (
        <p className="muted">Nothing changes.</p>
      ) : (
        <ul className="change-list">
          {changes.map((c, i) => (
            <ChangeLine key={i} c={c} users={preview.users} />
          ))}
        </ul>
      )}
      {preview.sql.length > 0 && (
        <div className="sql-details">
          <button type="button" className="link-btn" onClick={() => setShowSql(!showSql)} aria-expanded={showSql}>
            {showSql ? 'Hide' : 'Show'} the SQL that will run
          </button>
          {showSql && <pre>{preview.sql.join(';\n') + ';'}</pre>}
        </div>
      )}
      {error && (
        <div className="alert error" role="alert">
          {error}
        </div>
      )}
    </Modal>
  );
}
