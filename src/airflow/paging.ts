// Reads every page of an offset-paged Airflow collection. Airflow 2 silently
// clamps `limit` to its maximum_page_limit and Airflow 3.0/3.1 do not clamp at
// all, so the page size is whatever the first page held, never what was asked.
import pLimit from 'p-limit';

export interface Page<T> {
  readonly items: readonly T[];
  readonly total: number;
}

/** What the last read of the same collection showed; readAllPages keeps it up to date. */
export interface PageMemory {
  size?: number;
  total?: number;
}

export async function readAllPages<T>(fetchPage: (offset: number) => Promise<Page<T>>, concurrency: number, memory: PageMemory = {}): Promise<T[]> {
  const limit = pLimit(concurrency);
  // Polling reads the same collection again: the last read says which pages there are, so they
  // are read together with the first instead of after it.
  const guessed = memory.size ? offsetsOf(memory.size, memory.total ?? 0) : [];
  const [first, guessedPages] = await Promise.all([fetchPage(0), Promise.all(guessed.map((offset) => limit(() => fetchPage(offset))))]);
  const items = [...first.items];
  const size = first.items.length;
  memory.size = size;
  memory.total = first.total;
  if (size === 0 || size >= first.total) return items;

  // The rest of the pages at once (bounded), at the offsets the first page implies.
  const fetched = new Map(guessed.map((offset, index) => [offset, guessedPages[index]!]));
  const offsets = offsetsOf(size, first.total);
  const pages = await Promise.all(offsets.map((offset) => fetched.get(offset) ?? limit(() => fetchPage(offset))));

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
  memory.total = total;
  return items;
}

/** The offsets of the pages after the first. */
function offsetsOf(size: number, total: number): number[] {
  const offsets: number[] = [];
  for (let offset = size; offset < total; offset += size) offsets.push(offset);
  return offsets;
}
