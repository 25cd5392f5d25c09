'use client';

// The Dockerfile editor: CodeMirror 6 (bundled, no CDN) with the dockerfile stream mode for highlighting,
// and a line marker for build errors.
import { defaultHighlightStyle, StreamLanguage, syntaxHighlighting } from '@codemirror/language';
import { dockerFile } from '@codemirror/legacy-modes/mode/dockerfile';
import { EditorState, StateEffect, StateField, type Extension } from '@codemirror/state';
import { Decoration, type DecorationSet, EditorView, highlightActiveLine, lineNumbers } from '@codemirror/view';
import { forwardRef, useEffect, useImperativeHandle, useRef } from 'react';

export interface DockerfileEditorHandle {
  /** Moves the cursor to the line, scrolls it into view and marks it as the error line (0 clears). */
  markLine(line: number): void;
  setText(text: string): void;
}

const setErrorLine = StateEffect.define<number>();
const errorLineMark = Decoration.line({ attributes: { class: 'cm-error-line', 'data-testid': 'editor-error-line' } });

const errorLineField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(deco, tr) {
    for (const e of tr.effects) {
      if (e.is(setErrorLine)) {
        if (e.value < 1 || e.value > tr.state.doc.lines) return Decoration.none;
        return Decoration.set([errorLineMark.range(tr.state.doc.line(e.value).from)]);
      }
    }
    // Any edit clears the marker: the error belongs to the text that was built.
    return tr.docChanged ? Decoration.none : deco;
  },
  provide: (f) => EditorView.decorations.from(f),
});

const theme = EditorView.theme({
  '&': { fontSize: '13px', height: '100%' },
  '.cm-scroller': { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, monospace', minHeight: '16rem' },
  '.cm-error-line': { backgroundColor: 'rgba(244, 63, 94, 0.18)' },
});

export const DockerfileEditor = forwardRef<DockerfileEditorHandle, { initial: string; onChange: (text: string) => void; readOnly?: boolean }>(function DockerfileEditor({ initial, onChange, readOnly }, ref) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const changed = useRef(onChange);
  changed.current = onChange;

  useEffect(() => {
    const extensions: Extension[] = [
      lineNumbers(),
      highlightActiveLine(),
      StreamLanguage.define(dockerFile),
      syntaxHighlighting(defaultHighlightStyle),
      errorLineField,
      theme,
      EditorView.lineWrapping,
      EditorState.readOnly.of(!!readOnly),
      EditorView.editable.of(!readOnly),
      EditorView.contentAttributes.of({ 'aria-label': 'Dockerfile' }),
      EditorView.updateListener.of((u) => {
        if (u.docChanged) changed.current(u.state.doc.toString());
      }),
    ];
    const v = new EditorView({ parent: host.current!, state: EditorState.create({ doc: initial, extensions }) });
    view.current = v;
    // Tests read the cursor line from here (what the user sees is the marked line).
    (window as unknown as { __berthDockerfile?: EditorView }).__berthDockerfile = v;
    return () => v.destroy();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [readOnly]);

  useImperativeHandle(ref, () => ({
    markLine(line: number) {
      const v = view.current;
      if (!v) return;
      const effects = [setErrorLine.of(line)];
      if (line >= 1 && line <= v.state.doc.lines) {
        const pos = v.state.doc.line(line).from;
        v.dispatch({ selection: { anchor: pos }, effects: [...effects, EditorView.scrollIntoView(pos, { y: 'center' })] });
        v.focus();
      } else v.dispatch({ effects });
    },
    setText(text: string) {
      const v = view.current;
      if (v) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: text } });
    },
  }));

  return <div ref={host} data-testid="dockerfile-editor" className="overflow-hidden rounded-md border border-slate-300 bg-white dark:border-slate-700 dark:bg-slate-950" />;
});
