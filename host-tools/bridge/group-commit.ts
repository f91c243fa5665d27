/**
 * Group commit: work submitted during one or two turns of the event loop is applied in a single SQLite transaction,
 * and every caller's promise settles only after that transaction has committed. A webhook is still answered
 * only once its event is on disk; what is shared is the COMMIT (the WAL frames of the pages the batch touched,
 * and with `durability: full` the fsync), which is most of the cost of a one-event transaction.
 *
 * If the batch transaction throws (a bug in one item, SQLITE_FULL…), nothing of it was written; each item is
 * then applied again in its own transaction, so one bad item fails alone and its neighbours still commit.
 */
interface Pending<T, R> {
  item: T;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

/** Where batches are written: `Store` (its `tx` reports the outbox rows each commit wrote). */
export interface TransactionRunner {
  tx<R>(f: () => R): R;
  readonly open: boolean;
}

export interface GroupCommitOptions {
  /** Items per transaction at most; a full batch commits at once instead of waiting for the turn's end. Default 512. */
  maxBatch?: number;
  /**
   * Defers the commit. Default: two `setImmediate`s — to the end of the next turn, so the requests read in
   * that turn's I/O phase join the batch (under load that halves the commits; idle, the next turn does not
   * wait for I/O since an immediate is pending). Measured with bench:bridge's CPU per event: about 8% less.
   */
  defer?: (f: () => void) => void;
}

export class GroupCommit<T, R> {
  private pending: Pending<T, R>[] = [];
  private scheduled = false;
  private readonly maxBatch: number;
  private readonly defer: (f: () => void) => void;

  constructor(
    private readonly store: TransactionRunner,
    private readonly apply: (item: T) => R,
    /** Called after each commit, with the number of items committed. */
    private readonly committed: (n: number) => void = () => undefined,
    o: GroupCommitOptions = {},
  ) {
    this.maxBatch = o.maxBatch ?? 512;
    this.defer = o.defer ?? ((f) => setImmediate(() => setImmediate(f)));
  }

  /** Resolves with `apply(item)`'s result once it is committed; rejects if it could not be. */
  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.maxBatch) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        this.defer(() => {
          this.scheduled = false;
          this.flush();
        });
      }
    });
  }

  /** Commits what is pending now (also called by `close` paths so nothing waits on a stopped loop). */
  flush(): void {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    if (!this.store.open) {
      for (const p of batch) p.reject(new Error("the bridge's database is closed"));
      return;
    }
    let results: R[];
    try {
      results = this.store.tx(() => batch.map((p) => this.apply(p.item)));
    } catch {
      this.oneByOne(batch);
      return;
    }
    this.committed(batch.length);
    batch.forEach((p, i) => p.resolve(results[i] as R));
  }

  private oneByOne(batch: Pending<T, R>[]): void {
    let n = 0;
    for (const p of batch) {
      let r: R;
      try {
        r = this.store.tx(() => this.apply(p.item));
      } catch (e) {
        p.reject(e);
        continue;
      }
      n++;
      p.resolve(r);
    }
    if (n > 0) this.committed(n);
  }
}
