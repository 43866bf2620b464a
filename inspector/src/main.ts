/** Entry point: mounts the inspector app. */
import { h, render } from 'preact';
import { App } from './ui/App.js';
import { installRenderPacing } from './ui/renderPacing.js';
import './styles.css';

// Live batches render in tasks of their own, paced by what a render costs; what a user does renders at once.
installRenderPacing();

render(h(App, null), document.getElementById('app')!);
