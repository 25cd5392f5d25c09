import Link from 'next/link';

export default async function ForbiddenPage({ searchParams }: { searchParams: Promise<{ need?: string }> }) {
  const { need } = await searchParams;
  const role = need === 'admin' || need === 'operator' ? need : 'a higher';
  return (
    <main className="flex min-h-screen items-center justify-center p-6">
      <div className="max-w-md text-center">
        <p className="text-sm font-semibold text-rose-600">403</p>
        <h1 className="mt-2 text-2xl font-semibold">Forbidden</h1>
        <p className="mt-2 text-slate-600 dark:text-slate-400">This page needs the {role} role. Ask an admin if you need it.</p>
        <Link href="/" className="mt-6 inline-block text-sky-600 hover:underline">
          Back to the overview
        </Link>
      </div>
    </main>
  );
}
