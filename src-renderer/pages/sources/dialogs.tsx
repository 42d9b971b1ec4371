import { useState, type FormEvent } from 'react';
import { api, errorMessage } from '../../api/client';
import type { Source } from '../../../src-main/core/api/sources';
import { MAX_SOURCE_NAME } from '../../../src-main/core/api/sources';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { Modal } from '../../components/Modal';

/**
 * The source name input and its error, shared by "Add source" and "Rename source". The input
 * allows a little over the limit so the server's clear message shows instead of a silent cut.
 */
export function SourceNameField({ name, onChange, error, hint }: { name: string; onChange: (v: string) => void; error: string | null; hint?: string }) {
  return (
    <>
      <label className="field">
        <span>Name</span>
        <input
          name="sourceName"
          value={name}
          maxLength={MAX_SOURCE_NAME + 20}
          onChange={(e) => onChange(e.target.value)}
          className={error ? 'invalid' : undefined}
          autoFocus
        />
        {hint && <small className="muted">{hint}</small>}
      </label>
      {error && (
        <div className="alert error" role="alert">
          {error}
        </div>
      )}
    </>
  );
}

export function RenameSourceDialog({ source, onDone, onClose }: { source: Source; onDone: (s: Source) => void; onClose: () => void }) {
  const [name, setName] = useState(source.name);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function save(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onDone(await api.sources.update({ id: source.id, name }));
      onClose();
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  }
  return (
    <Modal title="Rename source" onClose={onClose} testId="rename-dialog">
      <form onSubmit={save} noValidate>
        <SourceNameField name={name} onChange={setName} error={error} />
        <div className="modal-footer flush">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save'}
          </button>
        </div>
      </form>
    </Modal>
  );
}

export function DeleteSourceDialog({ source, onDone, onClose }: { source: Source; onDone: () => void; onClose: () => void }) {
  return (
    <ConfirmDialog
      title="Delete source"
      confirmLabel="Delete source"
      onClose={onClose}
      onConfirm={async () => {
        await api.sources.delete({ id: source.id });
        onDone();
      }}
    >
      <p className="confirm-text">
        Delete the source <strong className="confirm-name">“{source.name}”</strong>?
      </p>
      <p className="muted">
        Its event write keys stop working at once: Segment's requests will be refused. Events already received stay in the
        warehouse.
      </p>
    </ConfirmDialog>
  );
}
