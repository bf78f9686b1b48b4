// Reads every page of an offset-paged Airflow collection. Airflow 2 silently
// clamps `limit` to its maximum_page_limit and Airflow 3.0/3.1 do not clamp at
// all, so the page size is whatever the first page held, never what was asked.
import pLimit from 'p-limit';

export interface Page<T> {
  readonly items: readonly T[];
  readonly total: number;
}

export async function readAllPages<T>(fetchPage: (offset: number) => Promise<Page<T>>, concurrency: number): Promise<T[]> {
  const first = await fetchPage(0);
  const items = [...first.items];
  const size = first.items.length;
  if (size === 0 || size >= first.total) return items;

  // The rest of the pages at once (bounded), at the offsets the first page implies.
  const limit = pLimit(concurrency);
  const offsets: number[] = [];
  for (let offset = size; offset < first.total; offset += size) offsets.push(offset);
  const pages = await Promise.all(offsets.map((offset) => limit(() => fetchPage(offset))));

  // Keep pages while they line up; a short page (the collection changed under
  // us, or the server served fewer) leaves a gap that is read one page at a time.
  let covered = size;
  let total = first.total;
  for (const [index, page] of pages.entries()) {
    if (offsets[index] !== covered) break;
    items.push(...page.items);
    covered += page.items.length;
    total = page.total;
    if (page.items.length === 0) return items;
  }
  while (covered < total) {
    const page = await fetchPage(covered);
    if (page.items.length === 0) break;
    items.push(...page.items);
    covered += page.items.length;
    total = page.total;
  }
  return items;
}
