/**
 * Deep links: the page URL holds the selected actor, the filters and the search
 * (`?sel=&source=&parent=&state=&name=&q=`), so a reload or a shared link
 * restores the view. Other parameters (`token`, `ws`) are kept as they are.
 */
import { emptyFilters, type Filters } from './model.js';

export interface UrlState {
  filters: Filters;
  selected: string | null;
}

const KEYS = { source: 'source', parent: 'parent', state: 'state', name: 'name' } as const;

/** The view named by a URL's query. */
export function readUrlState(search: string): UrlState {
  const params = new URLSearchParams(search);
  const filters: Filters = { ...emptyFilters, search: params.get('q') ?? '' };
  for (const [field, key] of Object.entries(KEYS) as Array<[keyof typeof KEYS, string]>) filters[field] = params.get(key);
  return { filters, selected: params.get('sel') };
}

/** `href` with the view written into its query (empty fields left out). */
export function writeUrlState(href: string, state: UrlState): string {
  const url = new URL(href);
  const params = url.searchParams;
  for (const key of [...Object.values(KEYS), 'q', 'sel']) params.delete(key);
  for (const [field, key] of Object.entries(KEYS) as Array<[keyof typeof KEYS, string]>) {
    const value = state.filters[field];
    if (value !== null && value !== '') params.set(key, value);
  }
  if (state.filters.search !== '') params.set('q', state.filters.search);
  if (state.selected !== null) params.set('sel', state.selected);
  return url.toString();
}
