import { useEffect, useId, useLayoutEffect, useMemo, useRef, useState, type InputHTMLAttributes, type ReactNode } from 'react';

export interface Suggestion {
  /** Text inserted in place of the word being typed. */
  insert: string;
  label: ReactNode;
  /** Shown on the right, muted (e.g. a type or a signature). */
  detail?: string;
  /** Where the caret goes after inserting, relative to the inserted text's start (default: its end). */
  caret?: number;
}

export interface AutocompleteInputProps extends Omit<InputHTMLAttributes<HTMLInputElement>, 'onChange' | 'value'> {
  value: string;
  onChange(value: string): void;
  /**
   * Suggestions for the text before the caret: which part is being replaced
   * (`from`, an index into the value) and the candidates.
   */
  suggest(before: string): { from: number; items: Suggestion[] } | null;
  /** Extra content under the input (errors). */
  below?: ReactNode;
  invalid?: boolean;
}

/**
 * A text input with a suggestion list that follows the word at the caret:
 * ArrowUp/ArrowDown to move, Enter or Tab to insert, Escape to close.
 */
export function AutocompleteInput({ value, onChange, suggest, below, invalid, className, ...rest }: AutocompleteInputProps) {
  const ref = useRef<HTMLInputElement>(null);
  const listId = useId();
  const [caret, setCaret] = useState<number | null>(null);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);

  const result = useMemo(() => (caret === null ? null : suggest(value.slice(0, caret))), [caret, value, suggest]);
  const items = result?.items.slice(0, 50) ?? [];
  const visible = open && items.length > 0;

  useEffect(() => setActive(0), [caret, value]);

  // Where the caret goes once an accepted suggestion is rendered. Set in a
  // layout effect (before the browser handles the next key), not a later
  // frame: keys typed right after Enter must land inside `lower(|)`.
  const pendingCaret = useRef<number | null>(null);
  useLayoutEffect(() => {
    const pos = pendingCaret.current;
    const el = ref.current;
    if (pos === null || !el) return;
    pendingCaret.current = null;
    el.focus();
    el.setSelectionRange(pos, pos);
    setCaret(pos);
  }, [value]);

  const refresh = () => setCaret(ref.current?.selectionStart ?? null);

  function accept(s: Suggestion) {
    if (!result || caret === null) return;
    const next = value.slice(0, result.from) + s.insert + value.slice(caret);
    const pos = result.from + (s.caret ?? s.insert.length);
    pendingCaret.current = pos;
    onChange(next);
    setOpen(s.insert.endsWith('.'));
    // The value may not change (the suggestion equals the typed word): place the caret now.
    if (next === value) {
      pendingCaret.current = null;
      ref.current?.setSelectionRange(pos, pos);
      setCaret(pos);
    }
  }

  return (
    <div className="ac">
      <input
        {...rest}
        ref={ref}
        className={[className, invalid ? 'invalid' : ''].filter(Boolean).join(' ')}
        value={value}
        autoComplete="off"
        spellCheck={false}
        role="combobox"
        aria-expanded={visible}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-invalid={invalid || undefined}
        onChange={(e) => {
          onChange(e.target.value);
          setCaret(e.target.selectionStart);
          setOpen(true);
        }}
        onFocus={() => {
          refresh();
          setOpen(true);
        }}
        onClick={refresh}
        onKeyUp={(e) => {
          if (e.key === 'ArrowLeft' || e.key === 'ArrowRight' || e.key === 'Home' || e.key === 'End') refresh();
        }}
        onBlur={() => setTimeout(() => setOpen(false), 120)}
        onKeyDown={(e) => {
          if (!visible) {
            if (e.key === 'ArrowDown' || (e.key === ' ' && e.ctrlKey)) {
              refresh();
              setOpen(true);
              e.preventDefault();
            }
            return;
          }
          if (e.key === 'ArrowDown') {
            setActive((a) => (a + 1) % items.length);
            e.preventDefault();
          } else if (e.key === 'ArrowUp') {
            setActive((a) => (a - 1 + items.length) % items.length);
            e.preventDefault();
          } else if (e.key === 'Enter' || e.key === 'Tab') {
            accept(items[active]);
            e.preventDefault();
          } else if (e.key === 'Escape') {
            setOpen(false);
            e.stopPropagation();
            e.preventDefault();
          }
        }}
      />
      {visible && (
        <ul className="ac-list" role="listbox" id={listId}>
          {items.map((s, i) => (
            <li
              key={`${s.insert}:${i}`}
              role="option"
              aria-selected={i === active}
              className={i === active ? 'ac-item active' : 'ac-item'}
              onMouseDown={(e) => {
                e.preventDefault();
                accept(s);
              }}
              onMouseEnter={() => setActive(i)}
            >
              <span className="ac-label">{s.label}</span>
              {s.detail && <span className="ac-detail">{s.detail}</span>}
            </li>
          ))}
        </ul>
      )}
      {below}
    </div>
  );
}
