/** Replays a trace: a slider over its messages, play/pause, and the time since the recording began. */
import { h } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { TracePlayer } from '../feeds/trace.js';
import { formatDuration } from '../state/derive.js';

export function Scrubber(props: { player: TracePlayer; name: string }) {
  const { player } = props;
  const [position, setPosition] = useState(player.position);
  const [playing, setPlaying] = useState(false);
  const [speed, setSpeed] = useState(1);
  const seek = (index: number): void => {
    player.seek(index);
    setPosition(player.position);
  };
  useEffect(() => {
    if (!playing) return;
    if (position >= player.length - 1) {
      setPlaying(false);
      return;
    }
    const wait = Math.min(1000, Math.max(0, (player.timeAt(position + 1) - player.timeAt(position)) / speed));
    const timer = setTimeout(() => seek(position + 1), wait);
    return () => clearTimeout(timer);
  }, [playing, position, speed]);
  const elapsed = player.timeAt(position) - player.startedAt;
  const total = player.timeAt(player.length - 1) - player.startedAt;
  return h(
    'footer',
    { class: 'scrubber', 'data-testid': 'scrubber' },
    h('button', { class: 'btn', onClick: () => { if (position >= player.length - 1) seek(0); setPlaying(!playing); } }, playing ? '❚❚ Pause' : '▶ Play'),
    h('select', { class: 'input', value: String(speed), onChange: (e: Event) => setSpeed(Number((e.currentTarget as HTMLSelectElement).value)), 'aria-label': 'Speed' }, [0.5, 1, 2, 5, 20].map((s) => h('option', { key: s, value: String(s) }, `${s}×`))),
    h('input', {
      class: 'range',
      type: 'range',
      min: 0,
      max: Math.max(0, player.length - 1),
      value: position,
      'aria-label': 'Trace position',
      'data-testid': 'scrub',
      onInput: (e: Event) => {
        setPlaying(false);
        seek(Number((e.currentTarget as HTMLInputElement).value));
      },
    }),
    h('span', { class: 'mono small' }, `${formatDuration(elapsed)} / ${formatDuration(total)}`),
    h('span', { class: 'mono small muted' }, `message ${(position + 1).toLocaleString()} of ${player.length.toLocaleString()} · ${props.name}`),
  );
}
