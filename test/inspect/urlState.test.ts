import { describe, expect, test } from 'vitest';
import { emptyFilters } from '../../inspector/src/state/model.js';
import { readUrlState, writeUrlState } from '../../inspector/src/state/urlState.js';

describe('deep links', () => {
  test('the selected actor, filters and search round-trip through the URL, other parameters kept', () => {
    const view = { filters: { ...emptyFilters, source: 'x:1', parent: 'x:1|site-a', state: 'retrying', name: 'send-mail', search: 'a-12 b' }, selected: 'x:1|a-12' };
    const href = writeUrlState('http://127.0.0.1:4000/?token=t0k&ws=ws%3A%2F%2Fh', view);
    const url = new URL(href);
    expect(url.searchParams.get('token')).toBe('t0k');
    expect(url.searchParams.get('ws')).toBe('ws://h');
    expect(readUrlState(url.search)).toEqual(view);
  });

  test('empty fields are left out, and a plain URL is the empty view', () => {
    const href = writeUrlState('http://h/?q=old&sel=gone&token=t', { filters: emptyFilters, selected: null });
    expect(href).toBe('http://h/?token=t');
    expect(readUrlState('')).toEqual({ filters: emptyFilters, selected: null });
  });
});
