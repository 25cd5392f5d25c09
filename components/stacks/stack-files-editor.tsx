'use client';

// Writing a stack: the compose files (tabs, in merge order), the loader's issues at their lines as you
// type, upload of a compose file or of a whole folder (compose file, .env and build contexts), and the
// .env editor.
import clsx from 'clsx';
import { useEffect, useMemo, useRef, useState } from 'react';
import { Alert, Button, TextInput } from '../ui/controls';
import { plural } from '../ui/format';
import { ComposeEditor, type ComposeEditorHandle, type LineIssue } from './compose-editor';
import { draftFromFolder, type StackDraft, type ValidationState } from './stack-draft';
import type { StackIssue } from './types';

const where = (i: StackIssue) => `${i.file || 'project'}${i.line ? `:${i.line}:${i.col}` : ''}`;

export function IssueList({ issues, onPick }: { issues: StackIssue[]; onPick?: (i: StackIssue) => void }) {
  return (
    <ul className="space-y-1 text-sm" data-testid="stack-issues">
      {issues.map((i, n) => (
        <li key={n} className="flex gap-2 text-rose-700 dark:text-rose-300" data-testid="stack-issue">
          {onPick && i.line ? (
            <button type="button" className="shrink-0 font-mono text-xs underline" onClick={() => onPick(i)}>
              {where(i)}
            </button>
          ) : (
            <span className="shrink-0 font-mono text-xs">{where(i)}</span>
          )}
          <span>
            {i.path ? <code className="mr-1 text-xs">{i.path}</code> : null}
            {i.message}
          </span>
        </li>
      ))}
    </ul>
  );
}

function FolderInput({ onPick, disabled }: { onPick: (files: File[]) => void; disabled?: boolean }) {
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => {
    // webkitdirectory is not a React prop: set it on the element.
    ref.current?.setAttribute('webkitdirectory', '');
    ref.current?.setAttribute('directory', '');
  }, []);
  return (
    <>
      <Button variant="secondary" disabled={disabled} onClick={() => ref.current?.click()}>
        Upload a folder…
      </Button>
      <input
        ref={ref}
        type="file"
        multiple
        className="hidden"
        data-testid="stack-folder-input"
        onChange={(e) => {
          const files = Array.from(e.target.files ?? []);
          if (files.length) onPick(files);
          e.target.value = '';
        }}
      />
    </>
  );
}

export function StackFilesEditor({ draft, onChange, validation, readOnly }: { draft: StackDraft; onChange: (d: StackDraft) => void; validation: ValidationState; readOnly?: boolean }) {
  const [selected, setSelected] = useState(0);
  const [newName, setNewName] = useState('');
  const [uploadError, setUploadError] = useState<string | null>(null);
  // Bumped when files are replaced from outside the editor (an upload), so the editor takes the new text.
  const [generation, setGeneration] = useState(0);
  const editor = useRef<ComposeEditorHandle>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const current = draft.files[Math.min(selected, draft.files.length - 1)]!;
  const issues = validation.phase === 'checked' ? validation.result.issues : [];
  const lineIssues = useMemo<LineIssue[]>(() => issues.filter((i) => i.file === current.name && i.line > 0).map((i) => ({ line: i.line, col: i.col, message: i.path ? `${i.path}: ${i.message}` : i.message })), [issues, current.name]);

  const setFile = (i: number, content: string) => onChange({ ...draft, files: draft.files.map((f, n) => (n === i ? { ...f, content } : f)) });
  const addFile = (name: string, content: string) => {
    const at = draft.files.findIndex((f) => f.name === name);
    if (at >= 0) {
      setFile(at, content);
      setSelected(at);
      setGeneration((g) => g + 1);
    } else {
      onChange({ ...draft, files: [...draft.files, { name, content }] });
      setSelected(draft.files.length);
    }
  };
  const pick = (i: StackIssue) => {
    const n = draft.files.findIndex((f) => f.name === i.file);
    if (n < 0) return;
    setSelected(n);
    // After a tab switch the editor remounts; wait for it.
    setTimeout(() => editor.current?.goTo(i.line, i.col), n === selected ? 0 : 50);
  };

  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-center gap-1" role="tablist" aria-label="Compose files">
        {draft.files.map((f, i) => (
          <span key={f.name} className={clsx('flex items-center rounded-t-md border-b-2 text-sm', i === selected ? 'border-sky-600 font-medium' : 'border-transparent text-slate-500')}>
            <button type="button" role="tab" aria-selected={i === selected} className="px-2 py-1" onClick={() => setSelected(i)}>
              {f.name}
              {issues.some((x) => x.file === f.name) ? <span className="ml-1 text-rose-600">●</span> : null}
            </button>
            {!readOnly && draft.files.length > 1 ? (
              <button
                type="button"
                aria-label={`Remove ${f.name}`}
                className="px-1 text-slate-400 hover:text-rose-600"
                onClick={() => {
                  onChange({ ...draft, files: draft.files.filter((_, n) => n !== i) });
                  setSelected(0);
                }}
              >
                ✕
              </button>
            ) : null}
          </span>
        ))}
        {!readOnly ? (
          <form
            className="ml-2 flex items-center gap-1"
            onSubmit={(e) => {
              e.preventDefault();
              const n = newName.trim();
              if (/^[A-Za-z0-9][A-Za-z0-9._-]*\.ya?ml$/.test(n)) {
                addFile(n, 'services: {}\n');
                setNewName('');
              }
            }}
          >
            <TextInput aria-label="New file name" className="w-48 py-1 text-xs" placeholder="compose.override.yaml" value={newName} onChange={(e) => setNewName(e.target.value)} />
            <Button type="submit" variant="ghost" disabled={!/^[A-Za-z0-9][A-Za-z0-9._-]*\.ya?ml$/.test(newName.trim())}>
              + File
            </Button>
          </form>
        ) : null}
      </div>
      <ComposeEditor key={`${generation}:${current.name}`} ref={editor} initial={current.content} issues={lineIssues} readOnly={readOnly} onChange={(t) => setFile(draft.files.indexOf(current), t)} label={`Compose file ${current.name}`} />
      {!readOnly ? (
        <div className="flex flex-wrap items-center gap-2 text-sm" data-testid="validation-status" data-phase={validation.phase} data-ok={validation.phase === 'checked' ? String(validation.result.ok) : ''}>
          {validation.phase === 'checking' || validation.phase === 'idle' ? <span className="text-slate-500">Checking…</span> : null}
          {validation.phase === 'error' ? <span className="text-rose-600">{validation.message}</span> : null}
          {validation.phase === 'checked' && validation.result.ok ? (
            <span className="text-emerald-700 dark:text-emerald-400">
              Valid: {plural(validation.result.services.length, 'service')} ({validation.result.services.map((s) => `${s.name}${s.replicas !== 1 ? ` ×${s.replicas}` : ''}`).join(', ')})
              {validation.result.disabledServices.length ? `; left out by profile: ${validation.result.disabledServices.join(', ')}` : ''}
            </span>
          ) : null}
          {validation.phase === 'checked' && !validation.result.ok ? <span className="text-rose-600">{plural(validation.result.issues.length, 'problem')}</span> : null}
        </div>
      ) : null}
      {issues.length ? <IssueList issues={issues} onPick={pick} /> : null}
      {validation.phase === 'checked' && validation.result.warnings.length ? (
        <Alert kind="info">
          <ul className="list-disc pl-4" data-testid="stack-warnings">
            {validation.result.warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        </Alert>
      ) : null}
      {!readOnly ? (
        <div className="flex flex-wrap items-center gap-2">
          <Button variant="secondary" onClick={() => fileInput.current?.click()}>
            Upload a compose file…
          </Button>
          <input
            ref={fileInput}
            type="file"
            accept=".yml,.yaml,application/yaml,text/yaml"
            className="hidden"
            data-testid="stack-file-input"
            onChange={async (e) => {
              const f = e.target.files?.[0];
              e.target.value = '';
              if (!f) return;
              setUploadError(null);
              if (!/\.ya?ml$/.test(f.name)) return setUploadError(`${f.name}: a compose file ends in .yml or .yaml.`);
              addFile(f.name, await f.text());
            }}
          />
          <FolderInput
            onPick={(files) => {
              setUploadError(null);
              draftFromFolder(files).then(
                (d) => {
                  onChange(d);
                  setSelected(0);
                  setGeneration((g) => g + 1);
                },
                (err: unknown) => setUploadError(err instanceof Error ? err.message : String(err)),
              );
            }}
          />
          <span className="text-xs text-slate-500" data-testid="stack-assets">
            {draft.assets.length ? `${plural(draft.assets.length, 'other file')} (build contexts, env files, secrets)` : 'A folder brings its build contexts, env files and secrets.'}
          </span>
        </div>
      ) : null}
      {uploadError ? <Alert>{uploadError}</Alert> : null}
      <label className="block space-y-1">
        <span className="text-sm font-medium text-slate-700 dark:text-slate-300">.env</span>
        <textarea
          aria-label=".env"
          spellCheck={false}
          readOnly={readOnly}
          rows={4}
          placeholder={'# KEY=value, used for ${KEY} in the compose file'}
          className="w-full rounded-md border border-slate-300 bg-white px-3 py-1.5 font-mono text-xs outline-none focus:border-sky-500 dark:border-slate-700 dark:bg-slate-950"
          value={draft.env}
          onChange={(e) => onChange({ ...draft, env: e.target.value })}
        />
      </label>
    </div>
  );
}
