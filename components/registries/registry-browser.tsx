'use client';

import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useHasRole } from '../auth/use-role';
import { ProgressBars } from '../images/progress-bars';
import { useProgressRun } from '../images/use-progress-run';
import { errorMessage, useTRPC, useTRPCClient } from '../trpc/react';
import { Alert, Button, Card, TextInput } from '../ui/controls';
import { plural } from '../ui/format';

function PullTag({ reference }: { reference: string }) {
  const client = useTRPCClient();
  const run = useProgressRun();
  return (
    <div className="space-y-1">
      <Button variant="secondary" aria-label={`Pull ${reference}`} disabled={run.state === 'running'} onClick={() => run.start((h) => client.images.pull.subscribe({ ref: reference }, h))}>
        {run.state === 'running' ? 'Pulling…' : 'Pull'}
      </Button>
      <ProgressBars layers={run.layers} testId="browse-pull-progress" />
      {run.state === 'failed' ? <Alert>{run.message}</Alert> : null}
      {run.state === 'done' ? (
        <span className="text-xs text-emerald-600" data-testid="browse-pull-done">
          {run.message || 'Pulled.'}
        </span>
      ) : null}
    </div>
  );
}

function Tags({ url, repo }: { url: string; repo: string }) {
  const trpc = useTRPC();
  const canOperate = useHasRole('operator');
  const [last, setLast] = useState<string | undefined>(undefined);
  const tags = useQuery(trpc.registries.tags.queryOptions({ url, repo, n: 100, last }));
  return (
    <div className="space-y-2" data-testid="registry-tags">
      <h3 className="font-mono text-sm font-semibold">
        {url}/{repo}
      </h3>
      {tags.error ? <Alert>{errorMessage(tags.error)}</Alert> : null}
      {tags.isPending ? <p className="text-sm text-slate-500">Asking the registry…</p> : null}
      {tags.data && !tags.data.items.length ? <p className="text-sm text-slate-500">No tags.</p> : null}
      <ul className="divide-y divide-slate-100 dark:divide-slate-800">
        {tags.data?.items.map((t) => (
          <li key={t} className="flex flex-wrap items-start justify-between gap-2 py-1.5" data-testid="registry-tag" data-tag={t}>
            <code className="text-sm">{t}</code>
            {canOperate ? <PullTag reference={`${url}/${repo}:${t}`} /> : null}
          </li>
        ))}
      </ul>
      {tags.data?.next ? (
        <Button variant="secondary" onClick={() => setLast(tags.data.next ?? undefined)}>
          More tags
        </Button>
      ) : null}
    </div>
  );
}

/** Repositories and tags of a registry (the distribution catalog and tags APIs), with pull from there. */
export function RegistryBrowser({ known }: { known: string[] }) {
  const trpc = useTRPC();
  const [input, setInput] = useState(known[0] ?? '');
  const [url, setUrl] = useState<string | null>(null);
  const [last, setLast] = useState<string | undefined>(undefined);
  const [repo, setRepo] = useState<string | null>(null);
  const catalog = useQuery(trpc.registries.catalog.queryOptions({ url: url ?? '', n: 100, last }, { enabled: Boolean(url) }));
  return (
    <Card title="Browse a registry">
      <form
        aria-label="Browse a registry"
        className="flex flex-wrap gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          setUrl(input.trim());
          setLast(undefined);
          setRepo(null);
        }}
      >
        <TextInput aria-label="Registry to browse" list="registry-hosts" placeholder="127.0.0.1:5000" className="w-full font-mono sm:w-72" value={input} onChange={(e) => setInput(e.target.value)} />
        <datalist id="registry-hosts">
          {known.map((k) => (
            <option key={k} value={k} />
          ))}
        </datalist>
        <Button type="submit" disabled={!input.trim()}>
          Browse
        </Button>
      </form>
      <p className="mt-1 text-xs text-slate-500">Uses the stored login for that host, if any. Docker Hub offers no catalog; enter a repository there by pulling it on the Images page.</p>
      {url ? (
        <div className="mt-3 grid gap-4 md:grid-cols-2">
          <div className="space-y-2">
            {catalog.error ? <Alert>{errorMessage(catalog.error)}</Alert> : null}
            {catalog.isPending ? <p className="text-sm text-slate-500">Asking the registry…</p> : null}
            {catalog.data ? <p className="text-xs text-slate-500">{plural(catalog.data.items.length, 'repository', 'repositories')}{catalog.data.next ? ' on this page' : ''}</p> : null}
            <ul className="divide-y divide-slate-100 dark:divide-slate-800" data-testid="registry-repos">
              {catalog.data?.items.map((r) => (
                <li key={r}>
                  <button type="button" className={`w-full py-1.5 text-left font-mono text-sm hover:underline ${repo === r ? 'font-semibold text-sky-700 dark:text-sky-400' : ''}`} onClick={() => setRepo(r)}>
                    {r}
                  </button>
                </li>
              ))}
            </ul>
            {catalog.data?.next ? (
              <Button variant="secondary" onClick={() => setLast(catalog.data.next ?? undefined)}>
                Next page
              </Button>
            ) : null}
          </div>
          {repo ? <Tags key={`${url}/${repo}`} url={url} repo={repo} /> : <p className="text-sm text-slate-500">Choose a repository to see its tags.</p>}
        </div>
      ) : null}
    </Card>
  );
}
