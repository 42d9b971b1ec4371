import { useEffect, useState } from 'react';
import { Link } from 'wouter';
import { api, errorMessage } from '../../api/client';
import type { Source, WriteKey } from '../../../src-main/core/api/sources';
import { MAX_WRITE_KEYS_PER_SOURCE } from '../../../src-main/core/api/sources';
import type { Settings, WorkspaceInfo } from '../../../src-main/core/api/workspace';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { CopyButton } from '../../components/CopyButton';
import { fullTime, maskKey, shortDate } from './format';
import { SIcon } from './icons';

type Section = 'keys' | 'general';

export function SettingsTab({ source, welcome, onRename, onDelete }: { source: Source; welcome: boolean; onRename: () => void; onDelete: () => void }) {
  const [section, setSection] = useState<Section>('keys');
  return (
    <div className="settings-layout">
      <nav className="subnav" aria-label="Settings sections">
        <button type="button" className={section === 'keys' ? 'subnav-item active' : 'subnav-item'} aria-current={section === 'keys'} onClick={() => setSection('keys')}>
          Event write keys
        </button>
        <button type="button" className={section === 'general' ? 'subnav-item active' : 'subnav-item'} aria-current={section === 'general'} onClick={() => setSection('general')}>
          General
        </button>
      </nav>
      <div className="settings-main">
        {section === 'keys' ? <WriteKeysSection source={source} welcome={welcome} /> : <GeneralSection source={source} onRename={onRename} onDelete={onDelete} />}
      </div>
    </div>
  );
}

function GeneralSection({ source, onRename, onDelete }: { source: Source; onRename: () => void; onDelete: () => void }) {
  return (
    <>
      <section className="panel">
        <h2>General</h2>
        <div className="kv">
          <span>Name</span>
          <strong className="ellipsis" title={source.name}>
            {source.name}
          </strong>
          <button type="button" className="btn small" onClick={onRename}>
            Rename
          </button>
        </div>
        <div className="kv">
          <span>Type</span>
          <span>Segment</span>
        </div>
        <div className="kv">
          <span>Source ID</span>
          <code>{source.id}</code>
        </div>
        <div className="kv">
          <span>Added</span>
          <span>{fullTime(source.createdAt)}</span>
        </div>
      </section>
      <section className="panel danger-zone">
        <h2>Delete this source</h2>
        <p className="muted">Its event write keys stop working at once. Events already received stay in the warehouse.</p>
        <button type="button" className="btn danger" onClick={onDelete}>
          <SIcon name="trash" /> Delete source
        </button>
      </section>
    </>
  );
}

function WriteKeysSection({ source, welcome }: { source: Source; welcome: boolean }) {
  const [keys, setKeys] = useState<WriteKey[] | null>(null);
  const [info, setInfo] = useState<WorkspaceInfo | null>(null);
  const [settings, setSettings] = useState<Settings | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [revealed, setRevealed] = useState<Set<string>>(new Set());
  const [deleting, setDeleting] = useState<WriteKey | null>(null);
  const [creating, setCreating] = useState(false);
  const [chosen, setChosen] = useState<string | null>(null);

  useEffect(() => {
    api.writeKeys.list({ sourceId: source.id }).then((r) => setKeys(r.keys), (e) => setError(errorMessage(e)));
    const loadInfo = () => {
      api.workspace.info().then(setInfo, () => undefined);
      api.settings.get().then(setSettings, () => undefined);
    };
    loadInfo();
    // The endpoint moves when Settings change (host, port, public URL).
    return api.subscribe((m) => m.event === 'workspace.changed' && loadInfo());
  }, [source.id]);

  const toggle = (key: string) =>
    setRevealed((prev) => {
      const next = new Set(prev);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });

  async function create() {
    setCreating(true);
    setError(null);
    try {
      const k = await api.writeKeys.create({ sourceId: source.id });
      setKeys((list) => [...(list ?? []), k]);
      setRevealed((prev) => new Set(prev).add(k.key));
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setCreating(false);
    }
  }

  const atLimit = (keys?.length ?? 0) >= MAX_WRITE_KEYS_PER_SOURCE;
  const headerKey = keys?.find((k) => k.key === chosen) ?? keys?.[0] ?? null;
  const endpoint = info?.endpointUrl ?? null;

  return (
    <>
      {welcome && (
        <div className="alert success" role="status">
          <strong>Segment source added.</strong> Copy its event write key and the endpoint URL below into a Webhook destination in
          Segment, then open the Event debugger to watch the events arrive.
        </div>
      )}
      <section className="panel" aria-labelledby="keys-title">
        <div className="panel-title-row">
          <div>
            <h2 id="keys-title">Event write keys</h2>
            <p className="muted">
              Segment sends one of these keys with every request (<code>Authorization: Bearer KEY</code>). Keep them secret;
              deleting a key refuses its requests at once.
            </p>
          </div>
          <button
            type="button"
            className="btn"
            onClick={create}
            disabled={creating || !keys || atLimit}
            title={atLimit ? `A source can have at most ${MAX_WRITE_KEYS_PER_SOURCE} keys` : 'Create another event write key'}
          >
            <SIcon name="plus" /> Create key
          </button>
        </div>
        {error && (
          <div className="alert error" role="alert">
            {error}
          </div>
        )}
        {keys === null && !error && <p className="muted">Loading…</p>}
        {keys && (
          <ul className="key-list" data-testid="write-keys">
            {keys.map((k) => {
              const shown = revealed.has(k.key);
              const last = keys.length === 1;
              return (
                <li key={k.key} className="key-row" data-testid="write-key">
                  <SIcon name="key" />
                  <code className="key-value" data-testid="write-key-value" data-revealed={shown} title={shown ? k.key : 'Hidden: click Reveal to show'}>
                    {shown ? k.key : maskKey(k.key)}
                  </code>
                  <span className="key-date muted" title={fullTime(k.createdAt)}>
                    Created {shortDate(k.createdAt)}
                  </span>
                  <span className="key-actions">
                    <button type="button" className="btn small" onClick={() => toggle(k.key)} aria-pressed={shown}>
                      <SIcon name={shown ? 'eyeOff' : 'eye'} size={14} /> {shown ? 'Hide' : 'Reveal'}
                    </button>
                    <CopyButton text={k.key} title="Copy the write key" />
                    <button
                      type="button"
                      className="icon-btn danger"
                      aria-label="Delete key"
                      title={last ? 'A source needs at least one key: create another one first' : 'Delete this key'}
                      disabled={last}
                      onClick={() => setDeleting(k)}
                    >
                      <SIcon name="trash" />
                    </button>
                  </span>
                </li>
              );
            })}
          </ul>
        )}
        {atLimit && <p className="muted small">This source has the maximum of {MAX_WRITE_KEYS_PER_SOURCE} keys: delete one to create another.</p>}
      </section>

      <section className="panel" aria-labelledby="endpoint-title">
        <h2 id="endpoint-title">Endpoint URL</h2>
        <p className="muted">Where Segment sends the events. Paste it as the URL of the Webhook destination's mapping.</p>
        {info === null ? (
          <p className="muted">Loading…</p>
        ) : endpoint ? (
          <div className="copy-field">
            <code data-testid="endpoint-url" title={endpoint}>
              {endpoint}
            </code>
            <CopyButton text={endpoint} title="Copy the endpoint URL" />
          </div>
        ) : (
          <div className="alert error" role="alert">
            The ingest server is not listening{info.ingestError ? `: ${info.ingestError}` : '.'} Change its host or port in{' '}
            <Link href="/settings">Settings</Link>.
          </div>
        )}
        {info && <ReachabilityWarning info={info} settings={settings} />}
      </section>

      <section className="panel segment-steps" aria-labelledby="segment-title">
        <h2 id="segment-title">Set up the Webhook destination in Segment</h2>
        <ol className="steps">
          <li>
            In the Segment dashboard, go to <strong>Connections → Destinations</strong> and click <strong>Add destination</strong>.
          </li>
          <li>
            Search for <strong>Webhook</strong>, select it and click <strong>Add destination</strong>. Choose the data sources to
            send to Krenalis, enter a destination name, click <strong>Next</strong>, then <strong>Create destination</strong>.
          </li>
          <li>
            In <strong>Mappings</strong>, click <strong>New Mapping</strong>, select <strong>Send</strong>, and set:
            <table className="mapping-table" data-testid="segment-mapping">
              <thead>
                <tr>
                  <th>Field</th>
                  <th>Value</th>
                  <th aria-label="Copy" />
                </tr>
              </thead>
              <tbody>
                <tr>
                  <td>URL</td>
                  <td>
                    <code className="ellipsis" title={endpoint ?? ''}>
                      {endpoint ?? 'not available: the ingest server is not listening'}
                    </code>
                  </td>
                  <td>{endpoint && <CopyButton text={endpoint} compact title="Copy the URL" />}</td>
                </tr>
                <tr>
                  <td>Method</td>
                  <td>
                    <code>POST</code>
                  </td>
                  <td />
                </tr>
                <tr>
                  <td>Batch Size</td>
                  <td>
                    <code>500</code>
                  </td>
                  <td />
                </tr>
                <tr>
                  <td>Headers</td>
                  <td>
                    <div className="header-value">
                      <div className="header-line">
                        <span className="header-label">Name</span>
                        <code>Authorization</code>
                      </div>
                      <div className="header-line">
                        <span className="header-label">Value</span>
                        <code data-testid="auth-header" className="ellipsis" title={headerKey && revealed.has(headerKey.key) ? `Bearer ${headerKey.key}` : undefined}>
                          Bearer {headerKey ? (revealed.has(headerKey.key) ? headerKey.key : maskKey(headerKey.key)) : '…'}
                        </code>
                        {keys && keys.length > 1 && (
                          <select aria-label="Key to use" value={headerKey?.key ?? ''} onChange={(e) => setChosen(e.target.value)} className="small-select">
                            {keys.map((k, i) => (
                              <option key={k.key} value={k.key}>
                                Key {i + 1} (…{k.key.slice(-4)})
                              </option>
                            ))}
                          </select>
                        )}
                      </div>
                      <div className="muted small">
                        Click <strong>Add Mapping Field</strong>, enter the name and the value.
                      </div>
                    </div>
                  </td>
                  <td>{headerKey && <CopyButton text={`Bearer ${headerKey.key}`} compact title="Copy the header value" />}</td>
                </tr>
                <tr>
                  <td>Enable Batching</td>
                  <td>
                    <code>Yes</code>
                  </td>
                  <td />
                </tr>
              </tbody>
            </table>
          </li>
          <li>
            <strong>Save</strong> and enable the mapping. Then open the <strong>Event debugger</strong> tab and generate an{' '}
            <code>identify</code> event in Segment: it appears within a few seconds.
          </li>
        </ol>
      </section>

      {deleting && (
        <ConfirmDialog
          title="Delete event write key"
          confirmLabel="Delete key"
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await api.writeKeys.delete({ sourceId: source.id, key: deleting.key });
            setKeys((list) => list?.filter((k) => k.key !== deleting.key) ?? null);
          }}
        >
          <p className="confirm-text">
            Delete the key ending in <code>…{deleting.key.slice(-4)}</code> of <strong>“{source.name}”</strong>?
          </p>
          <p className="muted">Requests that use it are refused at once. Update Segment's Authorization header first if it uses this key.</p>
        </ConfirmDialog>
      )}
    </>
  );
}

/** Say plainly when Segment cannot reach this computer. */
function ReachabilityWarning({ info, settings }: { info: WorkspaceInfo; settings: Settings | null }) {
  if (info.ingestLoopbackOnly) {
    const host = info.ingestUrl ? new URL(info.ingestUrl).hostname : (settings?.ingestHost ?? 'loopback');
    return (
      <div className="alert warn" role="note" data-testid="reachability-warning">
        <strong>Segment cannot reach this address.</strong> The ingest server only accepts connections from this computer
        (host <code>{host}</code>). Set the host to <code>0.0.0.0</code> in{' '}
        <Link href="/settings">Settings</Link>, then expose the port to the internet with a tunnel or a port forward and set
        its public URL.
      </div>
    );
  }
  if (settings && !settings.publicUrl) {
    const port = (info.ingestUrl && new URL(info.ingestUrl).port) || settings.ingestPort;
    return (
      <div className="alert warn" role="note" data-testid="reachability-warning">
        <strong>No public URL is set.</strong> Segment sends events from its servers on the internet and cannot reach a
        workstation directly. Start a tunnel (for example ngrok or Cloudflare Tunnel) or forward a port on your router to port{' '}
        {port} of this computer, then enter the public address in <Link href="/settings">Settings</Link>.
      </div>
    );
  }
  return null;
}
