/** The honest state for a page whose subsystem has not been built yet. Never fake data. */
export function NotAvailable({ what, arrivesWith }: { what: string; arrivesWith: string }) {
  return (
    <div
      data-testid="not-available"
      className="rounded-lg border border-dashed border-slate-300 bg-white p-10 text-center dark:border-slate-700 dark:bg-slate-900"
    >
      <p className="text-lg font-medium">{what} is not available yet</p>
      <p className="mt-2 text-sm text-slate-500 dark:text-slate-400">This part of Berth arrives with {arrivesWith}. Nothing here is simulated.</p>
    </div>
  );
}
