import { useEffect, useState } from 'react';
import { Link } from 'wouter';
import { api, errorMessage } from '../../api/client';
import type { IdentitySettings, RebuildProgress } from '../../../src-main/core/api/identity';

/** Settings › Identity resolution: identifiers (from the Customer Model), blocked values, "Rebuild users". */
export function IdentityPanel() {
  const [settings, setSettings] = useState<IdentitySettings | null>(null);
  const [blocked, setBlocked] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [saving, setSaving] = useState(false);
  const [rebuild, setRebuild] = useState<RebuildProgress | null>(null);
  const [rebuilding, setRebuilding] = useState(false);

  const load = (s: IdentitySettings) => {
    setSettings(s);
    setBlocked(s.blocked.map((v) => (v === '' ? '""' : v)).join('\n'));
  };
  useEffect(() => {
    api.identity.get().then(load, (e) => setError(errorMessage(e)));
    return api.subscribe((m) => {
      if (m.event === 'identity.rebuild') setRebuild(m.payload as RebuildProgress);
    });
  }, []);

  async function save() {
    setSaving(true);
    setError(null);
    setSaved(false);
    try {
      // One value a line; "" stands for the empty value.
      const values = blocked.split('\n').map((v) => (v.trim() === '""' ? '' : v.trim()));
      const lines = blocked.split('\n').some((v) => v.trim() === '""') ? values : values.filter((v) => v !== '');
      load(await api.identity.update({ blocked: lines }));
      setSaved(true);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setSaving(false);
    }
  }

  async function runRebuild() {
    setRebuilding(true);
    setError(null);
    try {
      setRebuild(await api.identity.rebuild());
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setRebuilding(false);
    }
  }

  return (
    <section className="panel form" data-testid="identity-settings">
      <h2>Identity resolution</h2>
      <p className="muted">
        Identities (a source's userId and anonymousId) join one user when they share a userId, an anonymousId within a source,
        or the value of an identifier. Values are compared trimmed and case-insensitively. Two identities with different values of
        a higher-priority identifier never join.
      </p>
      {settings && (
        <div className="kv">
          <span>Identifiers, by priority</span>
          <span data-testid="identity-identifiers">
            <code>userId</code>
            {settings.identifiers.map((p) => (
              <span key={p}>
                {' › '}
                <code>{p}</code>
              </span>
            ))}
            {' › '}
            <code>anonymousId</code> <span className="muted small">(within a source)</span>
            {' · '}
            <Link href="/model">Change them in the Customer Model</Link>
          </span>
        </div>
      )}
      <label className="field">
        <span>Blocked values</span>
        <textarea
          rows={6}
          value={blocked}
          name="blocked"
          onChange={(e) => {
            setSaved(false);
            setBlocked(e.target.value);
          }}
        />
        <small className="muted">One a line; they never join anything. "" is the empty value. Defaults: {settings?.defaultBlocked.map((v) => (v === '' ? '""' : v)).join(', ')}.</small>
      </label>
      {error && (
        <div className="alert error" role="alert">
          {error}
        </div>
      )}
      <div className="form-actions">
        <button className="btn primary" type="button" disabled={saving || !settings} onClick={save}>
          {saving ? 'Saving…' : 'Save'}
        </button>
        {saved && (
          <span className="saved" role="status">
            Saved. Rebuild users to apply it to the users already resolved.
          </span>
        )}
      </div>
      <h3>Rebuild users</h3>
      <p className="muted">
        Recomputes every user from the identities with the current identifiers and blocked values (after a Customer Model or rule
        change). Pipelines pause while it runs.
      </p>
      <div className="form-actions">
        <button className="btn" type="button" disabled={rebuilding} onClick={runRebuild} data-testid="identity-rebuild">
          {rebuilding ? 'Rebuilding…' : 'Rebuild users'}
        </button>
        {rebuild && (
          <span className="muted" role="status" data-testid="identity-rebuild-status">
            {rebuild.phase === 'failed'
              ? `Failed: ${rebuild.error ?? ''}`
              : rebuild.phase === 'done'
                ? `Done: ${rebuild.users.toLocaleString()} user${rebuild.users === 1 ? '' : 's'} from ${rebuild.identities.toLocaleString()} identit${rebuild.identities === 1 ? 'y' : 'ies'} in ${(rebuild.ms / 1000).toFixed(1)} s`
                : `${rebuild.phase}… ${Math.round(rebuild.progress * 100)}%`}
            {rebuilding && rebuild.phase !== 'done' && <progress max={1} value={rebuild.progress} />}
          </span>
        )}
      </div>
    </section>
  );
}
