import { describe, expect, it } from 'vitest';
import { readAllPages, type Page, type PageMemory } from '../../src/airflow/paging.js';

/** A server over `rows` that serves at most `size` rows per page, whatever is asked. */
function server(rows: () => string[], size: number) {
  const offsets: number[] = [];
  let open = 0;
  let maxOpen = 0;
  const fetchPage = async (offset: number): Promise<Page<string>> => {
    offsets.push(offset);
    maxOpen = Math.max(maxOpen, ++open);
    await new Promise((resolve) => setTimeout(resolve, 5));
    open--;
    const all = rows();
    return { items: all.slice(offset, offset + size), total: all.length };
  };
  return { fetchPage, offsets, maxOpen: () => maxOpen };
}

const ids = (n: number) => Array.from({ length: n }, (_, i) => `d${i}`);

describe('reading every page', () => {
  it('advances by the page size the server served and reads the rest with bounded concurrency', async () => {
    const s = server(() => ids(103), 10);
    expect(await readAllPages(s.fetchPage, 3)).toEqual(ids(103));
    expect(s.offsets.sort((a, b) => a - b)).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(s.maxOpen()).toBe(3);
  });

  it('reads one page when it holds everything, and nothing more when empty', async () => {
    expect(await readAllPages(server(() => ids(5), 100).fetchPage, 4)).toEqual(ids(5));
    const empty = server(() => [], 100);
    expect(await readAllPages(empty.fetchPage, 4)).toEqual([]);
    expect(empty.offsets).toEqual([0]);
  });

  it('fills the gap when a page comes back short', async () => {
    let calls = 0;
    const rows = ids(30);
    const fetchPage = async (offset: number): Promise<Page<string>> => {
      calls++;
      // The page at 10 is served short once (a row was deleted and re-added meanwhile).
      const size = offset === 10 && calls <= 3 ? 5 : 10;
      return { items: rows.slice(offset, offset + size), total: rows.length };
    };
    expect(await readAllPages(fetchPage, 4)).toEqual(rows);
  });

  it('reads the pages an earlier read found together with the first, and stays exact when the collection changed', async () => {
    let rows = ids(45);
    const s = server(() => rows, 10);
    const memory: PageMemory = {};
    expect(await readAllPages(s.fetchPage, 8, memory)).toEqual(ids(45));
    expect(s.maxOpen()).toBe(4);

    s.offsets.length = 0;
    expect(await readAllPages(s.fetchPage, 8, memory)).toEqual(ids(45));
    expect(s.offsets.sort((a, b) => a - b)).toEqual([0, 10, 20, 30, 40]);
    expect(s.maxOpen()).toBe(5);

    rows = ids(62);
    s.offsets.length = 0;
    expect(await readAllPages(s.fetchPage, 8, memory)).toEqual(ids(62));
    expect(s.offsets.sort((a, b) => a - b)).toEqual([0, 10, 20, 30, 40, 50, 60]);

    rows = ids(12);
    expect(await readAllPages(s.fetchPage, 8, memory)).toEqual(ids(12));
  });

  it('stops at an empty page even when total_entries promised more', async () => {
    const fetchPage = async (offset: number): Promise<Page<string>> => ({ items: offset < 20 ? ids(20).slice(offset, offset + 10) : [], total: 50 });
    expect(await readAllPages(fetchPage, 2)).toEqual(ids(20));
  });
});
