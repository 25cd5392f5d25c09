'use client';

import { useState } from 'react';

/** A collapsible JSON view: objects and arrays fold; the first two levels start open. */
export function JsonTree({ value, name, depth = 0 }: { value: unknown; name?: string; depth?: number }) {
  const [open, setOpen] = useState(depth < 2);
  const label = name !== undefined ? <span className="text-sky-700 dark:text-sky-300">{JSON.stringify(name)}: </span> : null;
  if (value === null || typeof value !== 'object') {
    const color = typeof value === 'string' ? 'text-emerald-700 dark:text-emerald-300' : typeof value === 'number' ? 'text-amber-700 dark:text-amber-300' : 'text-fuchsia-700 dark:text-fuchsia-300';
    return (
      <div className="whitespace-pre-wrap break-all" style={{ paddingLeft: depth ? 16 : 0 }}>
        {label}
        <span className={color}>{JSON.stringify(value)}</span>
      </div>
    );
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value as Record<string, unknown>);
  const [openB, closeB] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  return (
    <div style={{ paddingLeft: depth ? 16 : 0 }}>
      <button type="button" className="text-left hover:bg-slate-100 dark:hover:bg-slate-800" aria-expanded={open} onClick={() => setOpen(!open)}>
        <span className="inline-block w-3 text-slate-400">{open ? '▾' : '▸'}</span>
        {label}
        {openB}
        {!open ? <span className="text-slate-400"> {entries.length} {Array.isArray(value) ? 'items' : 'keys'} {closeB}</span> : null}
      </button>
      {open ? (
        <>
          {entries.map(([k, v]) => (
            <JsonTree key={k} name={Array.isArray(value) ? undefined : k} value={v} depth={depth + 1} />
          ))}
          <div>{closeB}</div>
        </>
      ) : null}
    </div>
  );
}
