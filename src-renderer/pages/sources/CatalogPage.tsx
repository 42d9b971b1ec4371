import { useEffect, useState, type FormEvent } from 'react';
import { Link, useLocation } from 'wouter';
import { api, errorMessage } from '../../api/client';
import { SourceNameField } from './dialogs';
import { Modal } from '../../components/Modal';
import { PageHeader } from '../../components/PageHeader';
import { SegmentLogo } from '../../components/SegmentLogo';
import { SIcon } from './icons';

/** Sources added in this window, so their page can greet them with the next step. */
export const justCreated = new Set<string>();

/** "Segment", or "Segment 2", "Segment 3"... when the name is taken. */
function freeName(base: string, taken: string[]): string {
  const names = new Set(taken.map((n) => n.toLowerCase()));
  if (!names.has(base.toLowerCase())) return base;
  for (let i = 2; ; i++) if (!names.has(`${base} ${i}`.toLowerCase())) return `${base} ${i}`;
}

export function CatalogPage() {
  const [open, setOpen] = useState(false);
  return (
    <div className="page">
      <Link href="/sources" className="back-link">
        <SIcon name="back" size={14} /> Sources
      </Link>
      <PageHeader title="Add a new source" subtitle="Choose where your events come from." />
      <h3 className="catalog-group">Events</h3>
      <div className="catalog-grid">
        <button type="button" className="connector-card" onClick={() => setOpen(true)} data-testid="connector-segment">
          <SegmentLogo size={40} />
          <span className="connector-card-text">
            <span className="connector-name">Segment</span>
            <span className="connector-desc">Receive events from Segment's Webhook destination and from Segment's libraries.</span>
          </span>
          <span className="connector-tag">Source</span>
        </button>
      </div>
      <p className="muted catalog-note">More connectors will appear here in later releases.</p>
      {open && <AddSegmentDialog onClose={() => setOpen(false)} />}
    </div>
  );
}

function AddSegmentDialog({ onClose }: { onClose: () => void }) {
  const [step, setStep] = useState<'about' | 'name'>('about');
  const [name, setName] = useState('Segment');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [, navigate] = useLocation();

  useEffect(() => {
    api.sources.list().then((r) => setName((n) => (n === 'Segment' ? freeName('Segment', r.sources.map((s) => s.name)) : n)), () => undefined);
  }, []);

  async function add(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const s = await api.sources.create({ type: 'segment', name });
      justCreated.add(s.id);
      navigate(`/sources/${s.id}/settings`);
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  }

  if (step === 'about') {
    return (
      <Modal
        title="Segment"
        icon={<SegmentLogo size={28} />}
        onClose={onClose}
        width={560}
        testId="segment-dialog"
        footer={
          <>
            <button type="button" className="btn" onClick={onClose}>
              Cancel
            </button>
            <button type="button" className="btn primary" onClick={() => setStep('name')}>
              Add source...
            </button>
          </>
        }
      >
        <p>
          Connect Segment through its Webhook destination to receive user data as real-time events. Events are stored on
          this computer; pipelines then import the users into your local warehouse.
        </p>
        <ol className="how-it-works">
          <li>
            <strong>Set up a webhook</strong> on Segment with this source's event write key and endpoint URL.
          </li>
          <li>
            <strong>Watch events arrive</strong> in the Event debugger.
          </li>
          <li>
            <strong>Filter and map</strong> events to your Customer Model with Visual Mapping, JavaScript or Python.
          </li>
          <li>
            <strong>Ingest users</strong> into the warehouse, unified and ready to use.
          </li>
        </ol>
      </Modal>
    );
  }
  return (
    <Modal title="Add Segment source" icon={<SegmentLogo size={28} />} onClose={onClose} width={520} testId="segment-dialog">
      <form onSubmit={add} noValidate>
        <SourceNameField
          name={name}
          onChange={setName}
          error={error}
          hint="How this connection appears in Krenalis, e.g. the Segment workspace or app it comes from."
        />
        <div className="modal-footer flush">
          <button type="button" className="btn" onClick={() => setStep('about')}>
            Back
          </button>
          <button type="submit" className="btn primary" disabled={busy}>
            {busy ? 'Adding…' : 'Add'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
