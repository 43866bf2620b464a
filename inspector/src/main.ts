/** Entry point: mounts the inspector app. */
import { h, render } from 'preact';
import { App } from './ui/App.js';
import './styles.css';

render(h(App, null), document.getElementById('app')!);
