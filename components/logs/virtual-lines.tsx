'use client';

import { useCallback, useEffect, useLayoutEffect, useRef, useState, type ReactNode } from 'react';

export const ROW_HEIGHT = 18;
const OVERSCAN = 20;

/**
 * A fixed-row-height virtual list: only the rows on screen exist in the DOM, and no per-row data is
 * kept (a measurement cache for a million rows would cost more than the rows themselves).
 */
export function VirtualLines({
  count,
  version,
  follow,
  onUserScroll,
  scrollToIndex,
  renderRow,
  testId,
}: {
  count: number;
  version: number;
  follow: boolean;
  onUserScroll: (atBottom: boolean) => void;
  scrollToIndex: number | null;
  renderRow: (index: number) => ReactNode;
  testId?: string;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const [range, setRange] = useState({ top: 0, height: 600 });
  const programmatic = useRef(false);

  const measure = useCallback(() => {
    const el = ref.current;
    if (el) setRange({ top: el.scrollTop, height: el.clientHeight });
  }, []);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, [measure]);

  // Following: stay pinned to the newest line as lines arrive.
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el || !follow) return;
    programmatic.current = true;
    el.scrollTop = el.scrollHeight;
    measure();
  }, [follow, version, count, measure]);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el || scrollToIndex === null) return;
    const y = scrollToIndex * ROW_HEIGHT;
    if (y < el.scrollTop || y > el.scrollTop + el.clientHeight - ROW_HEIGHT * 2) {
      programmatic.current = true;
      el.scrollTop = Math.max(0, y - el.clientHeight / 2);
      measure();
    }
  }, [scrollToIndex, measure]);

  const onScroll = () => {
    const el = ref.current;
    if (!el) return;
    measure();
    if (programmatic.current) {
      programmatic.current = false;
      return;
    }
    onUserScroll(el.scrollTop + el.clientHeight >= el.scrollHeight - ROW_HEIGHT * 2);
  };

  const first = Math.max(0, Math.floor(range.top / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(count, Math.ceil((range.top + range.height) / ROW_HEIGHT) + OVERSCAN);
  const rows: ReactNode[] = [];
  for (let i = first; i < last; i++) {
    rows.push(
      <div key={i} data-row={i} className="absolute left-0 right-0 whitespace-pre px-3" style={{ top: i * ROW_HEIGHT, height: ROW_HEIGHT, lineHeight: `${ROW_HEIGHT}px` }}>
        {renderRow(i)}
      </div>,
    );
  }
  return (
    <div ref={ref} onScroll={onScroll} data-testid={testId} tabIndex={0} className="relative h-full overflow-auto font-mono text-xs">
      <div style={{ height: count * ROW_HEIGHT, position: 'relative', minWidth: '100%' }}>{rows}</div>
    </div>
  );
}
