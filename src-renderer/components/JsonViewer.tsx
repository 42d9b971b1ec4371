import { useState } from 'react';
import { JsonView, allExpanded, collapseAllNested, type Props as JsonViewProps } from 'react-json-view-lite';
import { CopyButton } from './CopyButton';

// react-json-view-lite renders the tree; the look comes from app.css (.json-*), not the library's CSS.
const styles: NonNullable<JsonViewProps['style']> = {
  container: 'json-tree',
  basicChildStyle: 'json-row',
  childFieldsContainer: 'json-children',
  label: 'json-key',
  clickableLabel: 'json-key clickable',
  nullValue: 'json-null',
  undefinedValue: 'json-null',
  numberValue: 'json-number',
  stringValue: 'json-string',
  booleanValue: 'json-boolean',
  otherValue: 'json-other',
  punctuation: 'json-punct',
  expandIcon: 'json-toggle json-expand',
  collapseIcon: 'json-toggle json-collapse',
  collapsedContent: 'json-collapsed',
  noQuotesForStringValues: false,
  quotesForFieldNames: true,
  stringifyStringValues: true,
  ariaLables: { collapseJson: 'Collapse', expandJson: 'Expand' },
};

/** Highlighted, foldable JSON with copy, expand all and collapse all. */
export function JsonViewer({ value, testId }: { value: unknown; testId?: string }) {
  const [mode, setMode] = useState<'all' | 'top'>('all');
  const text = JSON.stringify(value, null, 2) ?? 'undefined';
  const isTree = value !== null && typeof value === 'object';
  return (
    <div className="json-viewer" data-testid={testId}>
      <div className="json-toolbar">
        {isTree && (
          <>
            <button type="button" className="btn small" onClick={() => setMode('all')} disabled={mode === 'all'}>
              Expand all
            </button>
            <button type="button" className="btn small" onClick={() => setMode('top')} disabled={mode === 'top'}>
              Collapse all
            </button>
          </>
        )}
        <CopyButton text={text} label="Copy JSON" />
      </div>
      <div className="json-body">
        {isTree ? (
          <JsonView key={mode} data={value as object} style={styles} shouldExpandNode={mode === 'all' ? allExpanded : collapseAllNested} />
        ) : (
          <pre className="json-tree">{text}</pre>
        )}
      </div>
    </div>
  );
}
