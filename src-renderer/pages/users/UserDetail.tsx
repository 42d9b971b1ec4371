import { Fragment, useEffect, useState } from 'react';
import { api, errorMessage } from '../../api/client';
import type { CustomerModel } from '../../../src-main/core/api/model';
import type { UserDetail as Detail, UserEvent } from '../../../src-main/core/api/users';
import type { IdentityExplanation } from '../../../src-main/core/api/identity';
import { JsonViewer } from '../../components/JsonViewer';
import { fullText, relativeTime, shortTime } from './format';

/** The side panel of one user: properties, identities, first/last seen and recent events. */
export function UserDetail({ id, model, onClose }: { id: string; model: CustomerModel | null; onClose: () => void }) {
  const [detail, setDetail] = useState<Detail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState<number | null>(null);
  const [sourceNames, setSourceNames] = useState<Map<string, string>>(new Map());
  const [explain, setExplain] = useState<IdentityExplanation | null>(null);

  useEffect(() => {
    api.sources.list().then((r) => setSourceNames(new Map(r.sources.map((s) => [s.id, s.name]))), () => undefined);
  }, []);

  useEffect(() => {
    let live = true;
    setDetail(null);
    setError(null);
    setOpen(null);
    setExplain(null);
    api.users.get({ id }).then(
      (d) => live && setDetail(d),
      (e) => live && setError(errorMessage(e)),
    );
    api.identity.explain({ id }).then(
      (x) => live && setExplain(x),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [id]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [onClose]);

  const user = detail?.user;
  const title = user ? String(user.email ?? ([user.first_name, user.last_name].filter(Boolean).join(' ') || user._id)) : 'User';
  const props = model?.properties ?? [];

  return (
    <aside className="user-detail" aria-label="User detail" data-testid="user-detail">
      <header className="user-detail-head">
        <div className="avatar" aria-hidden="true">
          {title.slice(0, 1).toUpperCase()}
        </div>
        <div className="user-detail-title">
          <h2>{title}</h2>
          <code className="muted small">{id}</code>
        </div>
        <button type="button" className="icon-btn" aria-label="Close user detail" onClick={onClose}>
          ×
        </button>
      </header>
      {error && <div className="alert error">{error}</div>}
      {!detail && !error && <p className="muted pad">Loading…</p>}
      {detail && user && (
        <div className="user-detail-body">
          <div className="seen-row">
            <div>
              <span className="muted small">First seen</span>
              <strong title={detail.firstSeen ?? ''}>{detail.firstSeen ? shortTime(detail.firstSeen) : '—'}</strong>
              <span className="muted small">{relativeTime(detail.firstSeen)}</span>
            </div>
            <div>
              <span className="muted small">Last seen</span>
              <strong title={detail.lastSeen ?? ''}>{detail.lastSeen ? shortTime(detail.lastSeen) : '—'}</strong>
              <span className="muted small">{relativeTime(detail.lastSeen)}</span>
            </div>
          </div>

          <section>
            <h3>Properties</h3>
            <dl className="props">
              {props.map((p) => (
                <div key={p.name} className="prop">
                  <dt title={p.description ?? ''}>
                    {p.name}
                    {p.identifier && <span className="badge">identifier</span>}
                  </dt>
                  <dd className={user[p.name] === null || user[p.name] === undefined ? 'null' : undefined}>
                    {user[p.name] === null || user[p.name] === undefined ? 'not set' : p.type === 'json' ? <pre>{fullText(user[p.name])}</pre> : fullText(user[p.name])}
                  </dd>
                </div>
              ))}
              <div className="prop system">
                <dt>_created_at</dt>
                <dd>{String(user._created_at)}</dd>
              </div>
              <div className="prop system">
                <dt>_updated_at</dt>
                <dd>{String(user._updated_at)}</dd>
              </div>
            </dl>
          </section>

          <section>
            <h3>Identities ({detail.identities.length})</h3>
            {detail.identities.length === 0 ? (
              <p className="muted small">No identities recorded for this user.</p>
            ) : (
              <table className="mini-table" data-testid="identities">
                <thead>
                  <tr>
                    <th>Source</th>
                    <th>userId</th>
                    <th>anonymousId</th>
                    <th>Last seen</th>
                  </tr>
                </thead>
                <tbody>
                  {detail.identities.map((i, n) => (
                    <Fragment key={n}>
                      <tr className="identity-row">
                        <td title={i.sourceId}>{sourceNames.get(i.sourceId) ?? i.sourceId}</td>
                        <td title={i.userId ?? ''}>{i.userId ?? <span className="muted">—</span>}</td>
                        <td title={i.anonymousId ?? ''}>{i.anonymousId ?? <span className="muted">—</span>}</td>
                        <td title={i.lastSeen ?? ''}>{relativeTime(i.lastSeen)}</td>
                      </tr>
                      {/* Why it joined gets a full-width line: the side panel is too narrow for a fifth column. */}
                      <tr className="identity-reason-row">
                        <td colSpan={4} data-testid="identity-reason">
                          <span className="muted">Joined by</span> {joinedBy(explain, i.sourceId, i.userId, i.anonymousId)}
                        </td>
                      </tr>
                    </Fragment>
                  ))}
                </tbody>
              </table>
            )}
            {explain && explain.merges.length > 0 && (
              <ul className="muted small" data-testid="identity-merges">
                {explain.merges.slice(0, 20).map((m, n) => (
                  <li key={n} title={m.fromId}>
                    {shortTime(m.at)}: merged user {m.fromId.slice(0, 8)}… {m.via === 'rebuild' ? 'by Rebuild users' : <>through {m.via} <code>{m.value}</code></>}
                  </li>
                ))}
              </ul>
            )}
          </section>

          <section>
            <h3>Recent events</h3>
            {detail.events.length === 0 ? (
              <p className="muted small">No events from this user's identities in the event log.</p>
            ) : (
              <ul className="event-list" data-testid="user-events">
                {detail.events.map((e, n) => (
                  <li key={`${e.seq}-${n}`} className={open === n ? 'open' : undefined}>
                    <button type="button" className="event-row" onClick={() => setOpen(open === n ? null : n)} aria-expanded={open === n}>
                      <span className={`event-type t-${e.type ?? 'unknown'}`}>{e.type ?? '?'}</span>
                      <span className="event-name">{eventLabel(e)}</span>
                      <span className="muted small" title={e.timestamp ?? ''}>
                        {relativeTime(e.timestamp)}
                      </span>
                    </button>
                    {open === n && <JsonViewer value={e.raw} testId="event-json" />}
                  </li>
                ))}
              </ul>
            )}
          </section>
        </div>
      )}
    </aside>
  );
}

function eventLabel(e: UserEvent): string {
  if (e.event) return e.event;
  const raw = e.raw as { name?: string; traits?: Record<string, unknown> } | null;
  if (e.type === 'identify') return e.userId ?? 'identify';
  return raw?.name ?? e.messageId ?? '';
}

/** Why an identity belongs to the user: the values it shares with the user's other identities. */
function joinedBy(x: IdentityExplanation | null, sourceId: string, userId: string | null, anonymousId: string | null) {
  if (!x) return <span className="muted">…</span>;
  const me = x.identities.find((i) => i.sourceId === sourceId && i.userId === userId && i.anonymousId === anonymousId);
  if (!me || me.reasons.length === 0) return <span className="muted">{x.identities.length > 1 ? 'first identity' : '—'}</span>;
  return (
    <>
      {me.reasons.map((r, n) => (
        <span key={n} title={`shared with ${r.sharedWith} other identit${r.sharedWith === 1 ? 'y' : 'ies'}`}>
          {n > 0 && ', '}
          {r.via} <code>{r.value}</code>
        </span>
      ))}
    </>
  );
}
