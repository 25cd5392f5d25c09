'use client';

// The compose file editor: CodeMirror 6 with the YAML stream mode, and the loader's issues marked at
// their lines (a tinted line with the message as its title, and a gutter marker). Marks follow edits
// until the next validation replaces them.
import { defaultHighlightStyle, StreamLanguage, syntaxHighlighting } from '@codemirror/language';
import { yaml } from '@codemirror/legacy-modes/mode/yaml';
import { EditorState, RangeSet, StateEffect, StateField, type Extension } from '@codemirror/state';
import { Decoration, type DecorationSet, EditorView, gutter, GutterMarker, highlightActiveLine, lineNumbers } from '@codemirror/view';
import { forwardRef, useEffect, useImperativeHandle, useRef } from 'react';

export interface LineIssue {
  line: number;
  col: number;
  message: string;
}

export interface ComposeEditorHandle {
  setText(text: string): void;
  /** Moves the cursor to a line and scrolls it into view. */
  goTo(line: number, col?: number): void;
}

const setIssues = StateEffect.define<LineIssue[]>();

class IssueMarker extends GutterMarker {
  constructor(readonly message: string) {
    super();
  }
  override eq(other: IssueMarker): boolean {
    return other.message === this.message;
  }
  override toDOM(): Node {
    const el = document.createElement('span');
    el.textContent = '●';
    el.title = this.message;
    el.className = 'cm-issue-marker';
    el.setAttribute('data-testid', 'compose-issue-marker');
    return el;
  }
}

/** Issues grouped per line (a line with several problems shows them all in its title). */
function byLine(state: EditorState, issues: LineIssue[]): [number, string][] {
  const lines = new Map<number, string[]>();
  for (const i of issues) {
    if (i.line < 1) continue;
    const n = Math.min(i.line, state.doc.lines);
    lines.set(n, [...(lines.get(n) ?? []), i.message]);
  }
  return [...lines.entries()].sort((a, b) => a[0] - b[0]).map(([n, m]) => [state.doc.line(n).from, m.join('\n')]);
}

const issueField = StateField.define<{ lines: DecorationSet; markers: RangeSet<GutterMarker> }>({
  create: () => ({ lines: Decoration.none, markers: RangeSet.empty }),
  update(value, tr) {
    for (const e of tr.effects) {
      if (e.is(setIssues)) {
        const at = byLine(tr.state, e.value);
        return {
          lines: Decoration.set(at.map(([pos, msg]) => Decoration.line({ attributes: { class: 'cm-issue-line', title: msg, 'data-testid': 'compose-error-line' } }).range(pos))),
          markers: RangeSet.of(at.map(([pos, msg]) => new IssueMarker(msg).range(pos))),
        };
      }
    }
    return tr.docChanged ? { lines: value.lines.map(tr.changes), markers: value.markers.map(tr.changes) } : value;
  },
  provide: (f) => EditorView.decorations.from(f, (v) => v.lines),
});

const theme = EditorView.theme({
  '&': { fontSize: '13px', height: '100%' },
  '.cm-scroller': { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, monospace', minHeight: '20rem', maxHeight: '36rem' },
  '.cm-issue-line': { backgroundColor: 'rgba(244, 63, 94, 0.18)' },
  '.cm-issue-gutter': { width: '1rem' },
  '.cm-issue-marker': { color: 'rgb(225, 29, 72)', cursor: 'help', paddingLeft: '3px' },
});

export const ComposeEditor = forwardRef<ComposeEditorHandle, { initial: string; issues: LineIssue[]; onChange: (text: string) => void; readOnly?: boolean; label?: string }>(function ComposeEditor(
  { initial, issues, onChange, readOnly, label = 'Compose file' },
  ref,
) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const changed = useRef(onChange);
  changed.current = onChange;

  useEffect(() => {
    const extensions: Extension[] = [
      lineNumbers(),
      issueField,
      gutter({ class: 'cm-issue-gutter', markers: (v) => v.state.field(issueField).markers }),
      highlightActiveLine(),
      StreamLanguage.define(yaml),
      syntaxHighlighting(defaultHighlightStyle),
      theme,
      EditorState.tabSize.of(2),
      EditorState.readOnly.of(!!readOnly),
      EditorView.editable.of(!readOnly),
      EditorView.contentAttributes.of({ 'aria-label': label }),
      EditorView.updateListener.of((u) => {
        if (u.docChanged) changed.current(u.state.doc.toString());
      }),
    ];
    const v = new EditorView({ parent: host.current!, state: EditorState.create({ doc: initial, extensions }) });
    view.current = v;
    // Tests read and set the text through this handle (what the user sees is the editor).
    (window as unknown as { __berthCompose?: EditorView }).__berthCompose = v;
    return () => v.destroy();
    // The editor is made once per mount; `initial` only seeds it.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [readOnly]);

  useEffect(() => {
    view.current?.dispatch({ effects: setIssues.of(issues) });
  }, [issues]);

  useImperativeHandle(ref, () => ({
    setText(text: string) {
      const v = view.current;
      if (v && v.state.doc.toString() !== text) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: text } });
    },
    goTo(line: number, col = 1) {
      const v = view.current;
      if (!v || line < 1) return;
      const l = v.state.doc.line(Math.min(line, v.state.doc.lines));
      const pos = Math.min(l.to, l.from + Math.max(0, col - 1));
      v.dispatch({ selection: { anchor: pos }, effects: EditorView.scrollIntoView(pos, { y: 'center' }) });
      v.focus();
    },
  }));

  return <div ref={host} data-testid="compose-editor" className="overflow-hidden rounded-md border border-slate-300 bg-white dark:border-slate-700 dark:bg-slate-950" />;
});
