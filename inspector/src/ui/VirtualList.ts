/**
 * A list that renders only the rows in view (fixed row height), so 100k rows
 * cost the same as 30. Scrolls to keep `focusIndex` visible when it changes.
 */
import { h, type ComponentChild } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';

export interface VirtualListProps<T> {
  items: readonly T[];
  rowHeight: number;
  render: (item: T, index: number) => ComponentChild;
  /** Extra rows rendered above and below the view. @default 8 */
  overscan?: number;
  class?: string;
  /** Keep the view pinned to the end while it is at the end (logs). */
  follow?: boolean;
  empty?: ComponentChild;
  /** A row to keep in view (the keyboard cursor): the list scrolls when it changes. */
  focusIndex?: number | null;
  /** Keyboard handling on the scroll container (which is focusable when given). */
  onKeyDown?: (event: KeyboardEvent) => void;
  label?: string;
}

export function VirtualList<T>(props: VirtualListProps<T>) {
  const { items, rowHeight, overscan = 8 } = props;
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(400);
  const atEnd = useRef(true);

  useLayoutEffect(() => {
    const element = ref.current;
    if (!element) return;
    setHeight(element.clientHeight);
    const observer = new ResizeObserver(() => setHeight(element.clientHeight));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    const element = ref.current;
    if (props.follow && element && atEnd.current) element.scrollTop = element.scrollHeight;
  }, [items.length, props.follow]);

  useEffect(() => {
    const element = ref.current;
    const index = props.focusIndex;
    if (!element || index === null || index === undefined) return;
    const top = index * rowHeight;
    if (top < element.scrollTop) element.scrollTop = top;
    else if (top + rowHeight > element.scrollTop + element.clientHeight) element.scrollTop = top + rowHeight - element.clientHeight;
  }, [props.focusIndex]);

  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(items.length, Math.ceil((scrollTop + height) / rowHeight) + overscan);
  const rows: ComponentChild[] = [];
  for (let i = first; i < last; i++) {
    rows.push(h('div', { key: i, class: 'vrow', style: { top: `${i * rowHeight}px`, height: `${rowHeight}px` } }, props.render(items[i]!, i)));
  }
  return h(
    'div',
    {
      ref,
      class: `vlist ${props.class ?? ''}`,
      tabIndex: props.onKeyDown ? 0 : undefined,
      role: props.onKeyDown ? 'listbox' : undefined,
      'aria-label': props.label,
      onKeyDown: props.onKeyDown,
      onScroll: (event: Event) => {
        const element = event.currentTarget as HTMLDivElement;
        atEnd.current = element.scrollTop + element.clientHeight >= element.scrollHeight - rowHeight;
        setScrollTop(element.scrollTop);
      },
    },
    items.length === 0 && props.empty !== undefined
      ? h('div', { class: 'empty' }, props.empty)
      : h('div', { class: 'vspace', style: { height: `${items.length * rowHeight}px` } }, rows),
  );
}
