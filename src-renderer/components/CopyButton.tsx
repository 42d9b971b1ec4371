import { useEffect, useState } from 'react';
import { Icon } from './icons';

/** Copy text to the clipboard (Clipboard API, with a fallback for contexts that refuse it). */
export async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    return;
  } catch {
    /* not allowed here: fall back */
  }
  const ta = document.createElement('textarea');
  ta.value = text;
  ta.setAttribute('readonly', '');
  ta.style.position = 'fixed';
  ta.style.opacity = '0';
  document.body.appendChild(ta);
  ta.select();
  try {
    if (!document.execCommand('copy')) throw new Error('Copy failed');
  } finally {
    ta.remove();
  }
}

export function CopyButton({ text, label = 'Copy', title, compact }: { text: string; label?: string; title?: string; compact?: boolean }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const t = setTimeout(() => setState('idle'), 1600);
    return () => clearTimeout(t);
  }, [state]);
  return (
    <button
      type="button"
      className={`btn small copy-btn ${state}`}
      title={title ?? label}
      aria-label={compact ? (title ?? label) : undefined}
      onClick={() => copyText(text).then(() => setState('copied'), () => setState('failed'))}
    >
      <Icon name={state === 'copied' ? 'check' : 'copy'} size={14} />
      {!compact && <span>{state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed' : label}</span>}
      {compact && state === 'copied' && <span className="sr-only">Copied</span>}
    </button>
  );
}
