'use client';

// A stack's files being written in the page (compose files in merge order, the .env text, assets such
// as build contexts), validated by the engine's own loader as the user types.
import { useEffect, useRef, useState } from 'react';
import { errorMessage } from '../trpc/react';
import { relativeInFolder } from '../builds/context-upload';
import { usePostClient } from './post-client';
import type { ComposeFile, StackAsset, Validation } from './types';

export interface StackDraft {
  files: ComposeFile[];
  env: string;
  assets: StackAsset[];
}

export const STARTER = `services:
  web:
    image: busybox:latest
    command: ["sh", "-c", "mkdir -p /www && echo hello > /www/index.html && echo web is up && exec httpd -f -v -p 8080 -h /www"]
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
      interval: 2s
      retries: 5
`;

const COMPOSE_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];
const OVERRIDE = /^(docker-)?compose\.override\.ya?ml$/;

export type ValidationState = { phase: 'idle' | 'checking' } | { phase: 'checked'; result: Validation } | { phase: 'error'; message: string };

/** Validates the draft a moment after the last keystroke; an older answer never replaces a newer one. */
export function useValidation(name: string, draft: StackDraft, enabled = true, delayMs = 350): ValidationState {
  const client = usePostClient();
  const [state, setState] = useState<ValidationState>({ phase: 'idle' });
  const seq = useRef(0);
  useEffect(() => {
    if (!enabled) return;
    const n = ++seq.current;
    const t = setTimeout(() => {
      setState((s) => (s.phase === 'checked' ? s : { phase: 'checking' }));
      client.stacks.validate
        .query({ name: name || 'stack', files: draft.files, env: draft.env, assets: draft.assets })
        .then((result) => n === seq.current && setState({ phase: 'checked', result }))
        .catch((err: unknown) => n === seq.current && setState({ phase: 'error', message: errorMessage(err) }));
    }, delayMs);
    return () => clearTimeout(t);
  }, [client, name, draft, enabled, delayMs]);
  return state;
}

function base64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result).replace(/^data:[^,]*,/, ''));
    r.onerror = () => reject(r.error ?? new Error(`cannot read ${file.name}`));
    r.readAsDataURL(file);
  });
}

/**
 * A picked folder as a draft: its top-level compose files (base first, overrides after) and .env, and
 * every other file as an asset (build contexts, env_file, secrets). Version-control folders are left out.
 */
export async function draftFromFolder(files: File[]): Promise<StackDraft> {
  const out: StackDraft = { files: [], env: '', assets: [] };
  const overrides: ComposeFile[] = [];
  for (const f of files) {
    const rel = relativeInFolder(f);
    if (rel.split('/').some((s) => s === '.git' || s === '.hg' || s === '.svn')) continue;
    if (COMPOSE_NAMES.includes(rel)) out.files.push({ name: rel, content: await f.text() });
    else if (OVERRIDE.test(rel)) overrides.push({ name: rel, content: await f.text() });
    else if (rel === '.env') out.env = await f.text();
    else out.assets.push({ path: rel, content: await base64(f) });
  }
  if (!out.files.length) throw new Error(`The folder has no ${COMPOSE_NAMES.join(', ')} at its top.`);
  out.files.sort((a, b) => COMPOSE_NAMES.indexOf(a.name) - COMPOSE_NAMES.indexOf(b.name));
  out.files.push(...overrides);
  return out;
}
