'use client';

import { useRouter } from 'next/navigation';
import { useEffect } from 'react';

/** Pure helper so the key sequence logic is testable: returns the route for "g o" / "g c", else null. */
export function sequenceTarget(prev: string | null, key: string): string | null {
  if (prev !== 'g') return null;
  if (key === 'o') return '/';
  if (key === 'c') return '/containers';
  if (key === 'e') return '/events';
  if (key === 'i') return '/images';
  if (key === 'b') return '/builds';
  if (key === 'v') return '/volumes';
  if (key === 'n') return '/networks';
  return null;
}

const typing = (el: EventTarget | null) =>
  el instanceof HTMLElement && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName) || el.closest('.xterm') !== null);

/** Keyboard: "/" focuses the page's search box; "g o" Overview, "g c" Containers, "g e" Events, "g i" Images, "g b" Builds, "g v" Volumes, "g n" Networks. */
export function Shortcuts() {
  const router = useRouter();
  useEffect(() => {
    let prev: string | null = null;
    let prevAt = 0;
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
      if (e.key === '/') {
        const search = document.querySelector<HTMLInputElement>('[data-search]');
        if (search) {
          e.preventDefault();
          search.focus();
          search.select();
        }
        return;
      }
      const target = Date.now() - prevAt < 1500 ? sequenceTarget(prev, e.key) : null;
      if (target) {
        e.preventDefault();
        router.push(target);
        prev = null;
        return;
      }
      prev = e.key;
      prevAt = Date.now();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [router]);
  return null;
}
