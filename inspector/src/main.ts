/** Entry point: mounts the inspector app. */
import { h, options, render } from 'preact';
import { App } from './ui/App.js';
import './styles.css';

// Renders run in a task of their own, after the task that changed the state (a batch of
// messages reduced, an input handled): the two never add up to one long task.
options.debounceRendering = (rerender) => void setTimeout(rerender, 0);

render(h(App, null), document.getElementById('app')!);
