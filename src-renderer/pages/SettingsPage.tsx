import { useEffect, useState, type FormEvent } from 'react';
import { api, errorMessage } from '../api/client';
import type { Settings, WorkspaceInfo } from '../../src-main/core/api/workspace';
import { PageHeader } from '../components/PageHeader';
import { IdentityPanel } from './settings/IdentityPanel';

interface Form {
  ingestHost: string;
  ingestPort: string;
  publicUrl: string;
}

export function SettingsPage() {
  const [form, setForm] = useState<Form | null>(null);
  const [info, setInfo] = useState<WorkspaceInfo | null>(null);
  const [error, setError] = useState<{ message: string; field?: string } | null>(null);
  const [saved, setSaved] = useState(false);
  const [saving, setSaving] = useState(false);

  const load = (s: Settings) => setForm({ ingestHost: s.ingestHost, ingestPort: String(s.ingestPort), publicUrl: s.publicUrl });
  useEffect(() => {
    api.settings.get().then(load, (e) => setError({ message: errorMessage(e) }));
    api.workspace.info().then(setInfo, () => undefined);
  }, []);

  async function save(e: FormEvent) {
    e.preventDefault();
    if (!form) return;
    setSaving(true);
    setError(null);
    setSaved(false);
    try {
      const port = form.ingestPort.trim() === '' ? NaN : Number(form.ingestPort);
      load(await api.settings.update({ ingestHost: form.ingestHost, ingestPort: port, publicUrl: form.publicUrl }));
      setInfo(await api.workspace.info());
      setSaved(true);
    } catch (err) {
      setError({ message: errorMessage(err), field: (err as { field?: string }).field });
    } finally {
      setSaving(false);
    }
  }

  if (!form) return <div className="page">{error ? <div className="alert error">{error.message}</div> : <p className="muted">Loading…</p>}</div>;
  const set = (k: keyof Form) => (e: { target: { value: string } }) => {
    setSaved(false);
    setForm({ ...form, [k]: e.target.value });
  };
  const invalid = (f: string) => (error?.field === f ? 'invalid' : undefined);

  return (
    <div className="page">
      <PageHeader title="Settings" subtitle="Where Segment sends events, and how the app can be reached from outside." />
      <form className="panel form" onSubmit={save} noValidate aria-label="Ingest server">
        <h2>Ingest server</h2>
        <p className="muted">
          Segment's Webhook destination posts events to this server. Listen on all interfaces (0.0.0.0) so Segment can
          reach it through a tunnel or port forward.
        </p>
        <div className="field-row">
          <label className="field">
            <span>Host</span>
            <input className={invalid('ingestHost')} value={form.ingestHost} onChange={set('ingestHost')} name="ingestHost" />
          </label>
          <label className="field narrow">
            <span>Port</span>
            <input className={invalid('ingestPort')} value={form.ingestPort} onChange={set('ingestPort')} name="ingestPort" inputMode="numeric" />
          </label>
        </div>
        <label className="field">
          <span>Public URL</span>
          <input
            className={invalid('publicUrl')}
            value={form.publicUrl}
            onChange={set('publicUrl')}
            name="publicUrl"
            placeholder="https://my-tunnel.example.com"
          />
          <small className="muted">The address of your tunnel or reverse proxy. Leave empty to use the ingest server's own address.</small>
        </label>
        {info && (
          <div className="kv">
            <span>Endpoint URL for Segment</span>
            <code data-testid="endpoint-url">{info.endpointUrl ?? 'not listening'}</code>
          </div>
        )}
        {info?.ingestError && <div className="alert warn">{info.ingestError}</div>}
        {error && (
          <div className="alert error" role="alert" data-testid="settings-error">
            {error.message}
          </div>
        )}
        <div className="form-actions">
          <button className="btn primary" type="submit" disabled={saving}>
            {saving ? 'Saving…' : 'Save'}
          </button>
          {saved && (
            <span className="saved" role="status">
              Saved
            </span>
          )}
        </div>
      </form>
      <IdentityPanel />
      {info && (
        <section className="panel">
          <h2>About</h2>
          <div className="kv">
            <span>Version</span>
            <code>{info.version}</code>
          </div>
          <div className="kv">
            <span>Data folder</span>
            <code>{info.dataDir}</code>
          </div>
        </section>
      )}
    </div>
  );
}
