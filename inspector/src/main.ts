/** Entry point: mounts the inspector app. */
import { h, options, render } from 'preact';
import { isReducingBatch } from './feeds/live.js';
import { App } from './ui/App.js';
import './styles.css';

// A batch of live messages is rendered in a task of its own, after the task that reduced it:
// the two never add up to one long task. What a user does renders at once (Preact's default).
options.debounceRendering = (rerender) => (isReducingBatch() ? void setTimeout(rerender, 0) : void queueMicrotask(rerender));

render(h(App, null), document.getElementById('app')!);
