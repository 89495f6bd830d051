/**
 * A digit n-gram index over the phone fields of one module, so that `search?phone=` with a digit-based
 * matching mode touches a handful of candidates instead of every record.
 * @internal
 * @module
 */

/** Length of the indexed digit runs; queries with fewer digits fall back to a scan. */
export const GRAM = 7;

/** What the index needs of a record. */
export interface Indexable {
  readonly seq: number;
}

/** Digit n-gram postings of one module. */
export class PhoneIndex<R extends Indexable> {
  private readonly grams = new Map<string, Set<R>>();
  /** Records with a phone of fewer than GRAM digits (always candidates). */
  private readonly short = new Set<R>();

  /** Adds a record's phone digits. */
  add(rec: R, digits: readonly string[]): void {
    for (const d of digits) {
      if (d.length === 0) continue;
      if (d.length < GRAM) {
        this.short.add(rec);
        continue;
      }
      for (let i = 0; i + GRAM <= d.length; i++) {
        const g = d.slice(i, i + GRAM);
        let set = this.grams.get(g);
        if (!set) {
          set = new Set();
          this.grams.set(g, set);
        }
        set.add(rec);
      }
    }
  }

  /** Removes a record's phone digits (the same list that was added). */
  remove(rec: R, digits: readonly string[]): void {
    this.short.delete(rec);
    for (const d of digits) {
      for (let i = 0; i + GRAM <= d.length; i++) {
        const g = d.slice(i, i + GRAM);
        const set = this.grams.get(g);
        if (!set) continue;
        set.delete(rec);
        if (set.size === 0) this.grams.delete(g);
      }
    }
  }

  /**
   * Records that may match query digits, in insertion order; undefined when the query is too short to
   * use the index. With `containing` (digits-contains, digits-exact) a match holds every n-gram of the
   * query, so the smallest posting list suffices; otherwise (digits-suffix, where a stored number may be
   * shorter than the query) any n-gram, plus every short number, makes a candidate.
   */
  candidates(queryDigits: string, containing: boolean): R[] | undefined {
    if (queryDigits.length < GRAM) return undefined;
    if (containing) {
      let smallest: Set<R> | undefined;
      for (let i = 0; i + GRAM <= queryDigits.length; i++) {
        const set = this.grams.get(queryDigits.slice(i, i + GRAM));
        if (!set) return [];
        if (!smallest || set.size < smallest.size) smallest = set;
      }
      return smallest ? sortBySeq([...smallest]) : [];
    }
    const out = new Set<R>(this.short);
    for (let i = 0; i + GRAM <= queryDigits.length; i++) {
      const set = this.grams.get(queryDigits.slice(i, i + GRAM));
      if (set) for (const r of set) out.add(r);
    }
    return sortBySeq([...out]);
  }

  /** Empties the index. */
  clear(): void {
    this.grams.clear();
    this.short.clear();
  }
}

function sortBySeq<R extends Indexable>(list: R[]): R[] {
  return list.length > 1 ? list.sort((a, b) => a.seq - b.seq) : list;
}
