/**
 * Pan and zoom for a drawing inside a viewport element: wheel zooms around the
 * pointer, dragging pans, buttons and keys (`+`/`-`, arrows, `0` fit, `1` 1:1)
 * do both. The view starts fitted to the viewport (never above 1:1 in a large
 * pane, so labels keep their size) and refits when the drawing changes.
 */
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';

export interface View {
  x: number;
  y: number;
  scale: number;
}

export const MIN_SCALE = 0.2;
export const MAX_SCALE = 4;
const clamp = (scale: number): number => Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale));

/** The view that shows a `width`×`height` drawing whole in a `viewWidth`×`viewHeight` viewport, centred. */
export function fitView(width: number, height: number, viewWidth: number, viewHeight: number, maxScale = 1.25): View {
  const scale = clamp(Math.min(maxScale, viewWidth / Math.max(1, width), viewHeight / Math.max(1, height)));
  return { scale, x: (viewWidth - width * scale) / 2, y: (viewHeight - height * scale) / 2 };
}

/** The view zoomed by `factor` around the viewport point (`px`, `py`). */
export function zoomAt(view: View, factor: number, px: number, py: number): View {
  const scale = clamp(view.scale * factor);
  const k = scale / view.scale;
  return { scale, x: px - (px - view.x) * k, y: py - (py - view.y) * k };
}

export interface PanZoom {
  view: View;
  viewport: { current: HTMLDivElement | null };
  fit(): void;
  actual(): void;
  zoom(factor: number): void;
  pan(dx: number, dy: number): void;
  /** Pans so that the drawing point (`x`, `y`) is in the centre. */
  centre(x: number, y: number): void;
  handlers: {
    onWheel(event: WheelEvent): void;
    onPointerDown(event: PointerEvent): void;
    onPointerMove(event: PointerEvent): void;
    onPointerUp(event: PointerEvent): void;
    onKeyDown(event: KeyboardEvent): void;
  };
}

export function usePanZoom(width: number, height: number, key: string): PanZoom {
  const viewport = useRef<HTMLDivElement>(null);
  const [view, setView] = useState<View>({ x: 0, y: 0, scale: 1 });
  const drag = useRef<{ id: number; x: number; y: number } | null>(null);
  const size = (): { w: number; h: number } => ({ w: viewport.current?.clientWidth ?? 600, h: viewport.current?.clientHeight ?? 400 });
  const fit = useCallback(() => {
    const { w, h } = size();
    setView(fitView(width, height, w, h));
  }, [width, height]);
  useLayoutEffect(fit, [key, width, height]);
  useEffect(() => {
    const element = viewport.current;
    if (!element) return;
    // The wheel listener must not be passive: it zooms instead of scrolling the page.
    const onWheel = (event: WheelEvent): void => {
      event.preventDefault();
      const box = element.getBoundingClientRect();
      const factor = Math.exp(-event.deltaY * (event.deltaMode === 1 ? 0.05 : 0.0015));
      setView((current) => zoomAt(current, factor, event.clientX - box.left, event.clientY - box.top));
    };
    element.addEventListener('wheel', onWheel, { passive: false });
    return () => element.removeEventListener('wheel', onWheel);
  }, []);
  const zoom = (factor: number): void => {
    const { w, h } = size();
    setView((current) => zoomAt(current, factor, w / 2, h / 2));
  };
  const pan = (dx: number, dy: number): void => setView((current) => ({ ...current, x: current.x + dx, y: current.y + dy }));
  return {
    view,
    viewport,
    fit,
    actual: () => {
      const { w, h } = size();
      setView((current) => ({ scale: 1, x: w / 2 - ((w / 2 - current.x) / current.scale), y: h / 2 - ((h / 2 - current.y) / current.scale) }));
    },
    zoom,
    pan,
    centre: (x, y) => {
      const { w, h } = size();
      setView((current) => ({ ...current, x: w / 2 - x * current.scale, y: h / 2 - y * current.scale }));
    },
    handlers: {
      onWheel: () => undefined,
      onPointerDown(event) {
        if (event.button !== 0 || (event.target as Element).closest('button')) return;
        drag.current = { id: event.pointerId, x: event.clientX, y: event.clientY };
        (event.currentTarget as Element).setPointerCapture?.(event.pointerId);
      },
      onPointerMove(event) {
        const current = drag.current;
        if (!current || current.id !== event.pointerId) return;
        const dx = event.clientX - current.x;
        const dy = event.clientY - current.y;
        drag.current = { id: event.pointerId, x: event.clientX, y: event.clientY };
        pan(dx, dy);
      },
      onPointerUp(event) {
        if (drag.current?.id === event.pointerId) drag.current = null;
      },
      onKeyDown(event) {
        const step = event.shiftKey ? 120 : 40;
        const actions: Record<string, () => void> = {
          '+': () => zoom(1.25),
          '=': () => zoom(1.25),
          '-': () => zoom(0.8),
          '0': fit,
          '1': () => setView((current) => ({ ...current, scale: 1 })),
          ArrowLeft: () => pan(step, 0),
          ArrowRight: () => pan(-step, 0),
          ArrowUp: () => pan(0, step),
          ArrowDown: () => pan(0, -step),
        };
        const act = actions[event.key];
        if (!act) return;
        event.preventDefault();
        event.stopPropagation();
        act();
      },
    },
  };
}
