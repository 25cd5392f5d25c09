'use client';

import { useEffect, useState } from 'react';

import { THEME_STORAGE_KEY as STORAGE_KEY } from './theme-boot';

export type ThemeChoice = 'system' | 'light' | 'dark';

function apply(choice: ThemeChoice): void {
  const dark = choice === 'dark' || (choice === 'system' && window.matchMedia('(prefers-color-scheme: dark)').matches);
  document.documentElement.classList.toggle('dark', dark);
}

export function useTheme(): [ThemeChoice, (c: ThemeChoice) => void] {
  const [choice, setChoice] = useState<ThemeChoice>('system');
  useEffect(() => {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === 'light' || saved === 'dark' || saved === 'system') setChoice(saved);
  }, []);
  useEffect(() => {
    apply(choice);
    if (choice !== 'system') return;
    const mq = window.matchMedia('(prefers-color-scheme: dark)');
    const onChange = () => apply('system');
    mq.addEventListener('change', onChange);
    return () => mq.removeEventListener('change', onChange);
  }, [choice]);
  const update = (c: ThemeChoice) => {
    localStorage.setItem(STORAGE_KEY, c);
    setChoice(c);
  };
  return [choice, update];
}

export function ThemeToggle() {
  const [choice, setChoice] = useTheme();
  const next: Record<ThemeChoice, ThemeChoice> = { system: 'light', light: 'dark', dark: 'system' };
  const label: Record<ThemeChoice, string> = { system: 'Theme: system', light: 'Theme: light', dark: 'Theme: dark' };
  return (
    <button
      type="button"
      onClick={() => setChoice(next[choice])}
      className="rounded-md px-2 py-1 text-sm text-slate-600 hover:bg-slate-200 dark:text-slate-300 dark:hover:bg-slate-800"
      title="Switch theme (system → light → dark)"
      aria-label={label[choice]}
    >
      {choice === 'dark' ? '☾' : choice === 'light' ? '☀' : '◐'} <span className="sr-only sm:not-sr-only">{label[choice].slice(7)}</span>
    </button>
  );
}
