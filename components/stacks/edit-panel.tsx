'use client';

// Edit and redeploy: the current files in the editor, "Review changes" asks the engine for the plan
// (what would be created, recreated, scaled, removed), and only then can the user apply it.
import { useState } from 'react';
import { errorMessage } from '../trpc/react';
import { Alert, Button, TextInput } from '../ui/controls';
import type { DeployRun } from './deploy-run';
import { PlanView } from './plan-view';
import { usePostClient } from './post-client';
import { useValidation, type StackDraft } from './stack-draft';
import { StackFilesEditor } from './stack-files-editor';
import type { StackDetail, StackPlan } from './types';
import { RoleNotice } from '../auth/role-notice';

export function EditPanel({ stack, run, canChange }: { stack: StackDetail; run: DeployRun; canChange: boolean }) {
  const client = usePostClient();
  const content = stack.content!;
  const [draft, setDraft] = useState<StackDraft>({ files: content.files, env: content.env, assets: content.assets });
  const validation = useValidation(stack.name, draft, canChange);
  const [plan, setPlan] = useState<{ plan: StackPlan; of: StackDraft } | null>(null);
  const [planning, setPlanning] = useState(false);
  const [planError, setPlanError] = useState<string | null>(null);
  const [note, setNote] = useState('');
  const [removeOrphans, setRemoveOrphans] = useState(false);
  const valid = validation.phase === 'checked' && validation.result.ok;
  const planCurrent = plan && plan.of === draft;

  const review = async () => {
    setPlanning(true);
    setPlanError(null);
    try {
      setPlan({ plan: await client.stacks.plan.query({ name: stack.name, files: draft.files, env: draft.env, assets: draft.assets }), of: draft });
    } catch (err) {
      setPlanError(errorMessage(err));
    } finally {
      setPlanning(false);
    }
  };

  return (
    <div className="grid gap-4 xl:grid-cols-2">
      <StackFilesEditor draft={draft} onChange={setDraft} validation={validation} readOnly={!canChange} />
      {canChange ? (
        <div className="space-y-3">
          <div className="flex flex-wrap items-center gap-2">
            <Button variant="secondary" disabled={!valid || planning || run.running} onClick={() => void review()}>
              {planning ? 'Planning…' : 'Review changes'}
            </Button>
            <Button disabled={!planCurrent || run.running} onClick={() => void run.deploy(stack.name, draft, { note, removeOrphans })} title={planCurrent ? undefined : 'Review the changes first'}>
              Apply and redeploy
            </Button>
            {run.running ? (
              <Button variant="danger" onClick={run.cancel}>
                Cancel
              </Button>
            ) : null}
          </div>
          <div className="flex flex-wrap items-center gap-3">
            <TextInput aria-label="Version note" className="w-72" placeholder="Note for the history (optional)" maxLength={500} value={note} onChange={(e) => setNote(e.target.value)} />
            <label className="flex items-center gap-1 text-sm">
              <input type="checkbox" checked={removeOrphans} onChange={(e) => setRemoveOrphans(e.target.checked)} /> Remove orphans
            </label>
          </div>
          {planError ? <Alert>{planError}</Alert> : null}
          {plan && !planCurrent ? <p className="text-xs text-amber-700 dark:text-amber-300">The files changed since this plan: review again.</p> : null}
          {plan ? <PlanView plan={plan.plan} /> : null}
        </div>
      ) : (
        <RoleNotice need="operator">Viewers see the files; changing them needs the operator role.</RoleNotice>
      )}
    </div>
  );
}
