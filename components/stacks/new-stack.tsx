'use client';

import { useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { useHasRole } from '../auth/use-role';
import { useTRPC } from '../trpc/react';
import { Alert, Button, Card, Field, TextInput } from '../ui/controls';
import { DeployProgressView, useDeployRun } from './deploy-run';
import { STARTER, useValidation, type StackDraft } from './stack-draft';
import { StackFilesEditor } from './stack-files-editor';
import { RoleNotice } from '../auth/role-notice';

const NAME = /^[a-z0-9][a-z0-9_-]*$/;

export function NewStack() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canOperate = useHasRole('operator');
  const [name, setName] = useState('');
  const [draft, setDraft] = useState<StackDraft>({ files: [{ name: 'compose.yaml', content: STARTER }], env: '', assets: [] });
  const validation = useValidation(NAME.test(name) ? name : 'stack', draft);
  const run = useDeployRun(() => void queryClient.invalidateQueries({ queryKey: trpc.stacks.list.queryKey() }));
  const nameError = name && !NAME.test(name) ? 'Lower-case letters, digits, - and _, starting with a letter or digit.' : null;
  const valid = validation.phase === 'checked' && validation.result.ok;

  if (!canOperate) return <RoleNotice need="operator">Deploying a stack needs the operator role.</RoleNotice>;
  return (
    <div className="grid gap-4 xl:grid-cols-2">
      <div className="space-y-4">
        <Card title="Stack">
          <Field label="Name" errors={nameError ? [nameError] : undefined} hint="The Compose project name: containers are named <name>-<service>-<n>.">
            <TextInput value={name} maxLength={63} placeholder="myapp" onChange={(e) => setName(e.target.value.trim())} disabled={run.running} />
          </Field>
        </Card>
        <Card title="Files">
          <StackFilesEditor draft={draft} onChange={setDraft} validation={validation} />
        </Card>
      </div>
      <div className="space-y-4">
        <Card title="Deploy">
          <div className="space-y-3">
            <div className="flex items-center gap-2">
              <Button disabled={run.running || !name || !!nameError || !valid} onClick={() => void run.deploy(name, draft)}>
                Deploy
              </Button>
              {run.running ? (
                <Button variant="danger" onClick={run.cancel}>
                  Cancel
                </Button>
              ) : null}
              {!name ? <span className="text-xs text-slate-500">Name the stack first.</span> : !valid && validation.phase === 'checked' ? <span className="text-xs text-slate-500">Fix the problems first.</span> : null}
            </div>
            {run.error ? <Alert>{run.error}</Alert> : null}
            {run.progress ? <DeployProgressView progress={run.progress} /> : <p className="text-sm text-slate-500">Progress per service shows here: pull or build, create, start, healthy.</p>}
            {run.progress?.status === 'finished' ? (
              <Alert kind="success">
                <Link href={`/stacks/${encodeURIComponent(name)}`} className="font-medium underline" data-testid="open-stack">
                  Open {name}
                </Link>
              </Alert>
            ) : null}
          </div>
        </Card>
      </div>
    </div>
  );
}
