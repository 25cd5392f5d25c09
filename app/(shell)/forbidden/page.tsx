import Link from 'next/link';

// Inside the shell, so a viewer sent here keeps the sidebar and can go on to pages they may see.
export default async function ForbiddenPage({ searchParams }: { searchParams: Promise<{ need?: string }> }) {
  const { need } = await searchParams;
  const role = need === 'admin' || need === 'operator' ? need : 'a higher';
  return (
    <div className="flex items-center justify-center py-16" data-testid="forbidden">
      <div className="max-w-md text-center">
        <p className="text-sm font-semibold text-rose-600">403</p>
        <h1 className="mt-2 text-2xl font-semibold">Forbidden</h1>
        <p className="mt-2 text-slate-600 dark:text-slate-400">This page needs the {role} role. Ask an admin if you need it.</p>
        <Link href="/" className="mt-6 inline-block text-sky-600 hover:underline">
          Back to the overview
        </Link>
      </div>
    </div>
  );
}
