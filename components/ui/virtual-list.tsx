'use client';

// The one virtual list of the dashboard (container logs, a stack's merged logs, the layer tree), on
// @tanstack/react-virtual: fixed-height rows, only those on screen (plus overscan) are in the DOM.
// Rows have one height, so nothing is measured: the virtualizer's single-lane fast path keeps two
// numbers per row, which stays cheap at a million rows.
import { useVirtualizer } from '@tanstack/react-virtual';
import { forwardRef, useCallback, useImperativeHandle, useLayoutEffect, useRef, type HTMLAttributes, type ReactNode } from 'react';

export interface VirtualListHandle {
  /** Brings a row into view ('auto': only if it is not visible; 'center' for search matches). */
  scrollToIndex(index: number, align?: 'auto' | 'center' | 'start' | 'end'): void;
  element(): HTMLDivElement | null;
}

export interface VirtualListProps extends Omit<HTMLAttributes<HTMLDivElement>, 'onScroll' | 'children'> {
  count: number;
  rowHeight: number;
  overscan?: number;
  renderRow: (index: number) => ReactNode;
  /** Extra attributes of each row's positioned wrapper (it carries `data-row`). */
  rowClassName?: string;
  /** Stay pinned to the last row as rows arrive; `version` changes when rows change in place. */
  follow?: boolean;
  version?: number;
  /** A row to bring to the middle of the view when it changes (a search match). */
  scrollToIndex?: number | null;
  /** Rows added above the first one since the list mounted: the view keeps its place by this much. */
  prepended?: number;
  /** A scroll by the user (not by follow or a jump): whether it ended at the bottom, and the first visible row. */
  onUserScroll?: (atBottom: boolean, firstVisible: number) => void;
  testId?: string;
}

export const VirtualList = forwardRef<VirtualListHandle, VirtualListProps>(function VirtualList(
  { count, rowHeight, overscan = 20, renderRow, rowClassName, follow = false, version, scrollToIndex = null, prepended = 0, onUserScroll, testId, className, style, ...rest },
  handle,
) {
  const ref = useRef<HTMLDivElement>(null);
  const programmatic = useRef(false);
  const estimateSize = useCallback(() => rowHeight, [rowHeight]);
  // No flushSync re-render inside each scroll event: the next frame is soon enough for rows of one height.
  const v = useVirtualizer({ count, getScrollElement: () => ref.current, estimateSize, overscan, useFlushSync: false });

  const jump = (top: number) => {
    const el = ref.current;
    if (!el) return;
    const before = el.scrollTop;
    el.scrollTop = top;
    // Only a move fires a scroll event (a clamped or equal value does not).
    if (el.scrollTop !== before) programmatic.current = true;
  };

  const methods: VirtualListHandle = {
    scrollToIndex(index, align = 'auto') {
      const el = ref.current;
      if (!el || index < 0 || index >= count) return;
      const y = index * rowHeight;
      const h = el.clientHeight;
      if (align === 'auto') {
        if (y < el.scrollTop) jump(y);
        else if (y + rowHeight > el.scrollTop + h) jump(y + rowHeight - h);
      } else if (align === 'center') {
        if (y < el.scrollTop || y > el.scrollTop + h - rowHeight * 2) jump(Math.max(0, y - h / 2));
      } else jump(align === 'start' ? y : Math.max(0, y + rowHeight - h));
    },
    element: () => ref.current,
  };
  useImperativeHandle(handle, () => methods);

  useLayoutEffect(() => {
    if (scrollToIndex !== null) methods.scrollToIndex(scrollToIndex, 'center');
  }, [scrollToIndex]); // eslint-disable-line react-hooks/exhaustive-deps

  // Rows put above: move down by their height so the rows on screen stay where they were.
  const seenPrepended = useRef(prepended);
  useLayoutEffect(() => {
    const delta = prepended - seenPrepended.current;
    seenPrepended.current = prepended;
    const el = ref.current;
    if (delta > 0 && el && !follow) jump(el.scrollTop + delta * rowHeight);
  }, [prepended, follow, rowHeight]);

  // Following: stay on the newest row as rows arrive.
  useLayoutEffect(() => {
    const el = ref.current;
    if (el && follow) jump(Math.max(0, count * rowHeight - el.clientHeight));
  }, [follow, version, count, rowHeight]);

  const onScroll = () => {
    const el = ref.current;
    if (!el) return;
    if (programmatic.current) {
      programmatic.current = false;
      return;
    }
    onUserScroll?.(el.scrollTop + el.clientHeight >= el.scrollHeight - rowHeight * 2, Math.floor(el.scrollTop / rowHeight));
  };

  return (
    <div ref={ref} onScroll={onScroll} data-testid={testId} tabIndex={0} className={className} style={{ position: 'relative', overflow: 'auto', overflowAnchor: 'none', ...style }} {...rest}>
      <div style={{ height: v.getTotalSize(), position: 'relative', minWidth: '100%' }}>
        {v.getVirtualItems().map((item) => (
          <div key={item.index} data-row={item.index} role="presentation" className={rowClassName} style={{ position: 'absolute', left: 0, right: 0, top: item.start, height: rowHeight }}>
            {renderRow(item.index)}
          </div>
        ))}
      </div>
    </div>
  );
});
