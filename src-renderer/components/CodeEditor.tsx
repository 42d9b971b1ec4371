import Editor, { type OnMount } from '@monaco-editor/react';
import { useRef } from 'react';
import { monaco } from './monaco';

export interface CodeEditorProps {
  value: string;
  onChange(value: string): void;
  language: 'sql' | 'javascript' | 'python';
  height?: number | string;
  /** Ctrl/Cmd+Enter. */
  onRun?: () => void;
  ariaLabel?: string;
}

export function CodeEditor({ value, onChange, language, height = 220, onRun, ariaLabel }: CodeEditorProps) {
  const runRef = useRef(onRun);
  runRef.current = onRun;
  const onMount: OnMount = (editor) => {
    editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.Enter, () => runRef.current?.());
  };
  return (
    <div className="code-editor" data-language={language}>
      <Editor
        height={height}
        language={language}
        value={value}
        onChange={(v) => onChange(v ?? '')}
        onMount={onMount}
        theme="vs"
        options={{
          minimap: { enabled: false },
          fontSize: 13,
          lineNumbers: 'on',
          scrollBeyondLastLine: false,
          automaticLayout: true,
          tabSize: 2,
          ariaLabel,
          renderLineHighlight: 'none',
          padding: { top: 10, bottom: 10 },
        }}
      />
    </div>
  );
}
