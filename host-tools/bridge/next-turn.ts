/**
 * Work asked for many times in one turn of the event loop, run once at the start of the next
 * (`setImmediate`: it orders work after the current transaction and I/O, it does not wait for time).
 */
export class NextTurn {
  private scheduled = false;

  constructor(private readonly run: () => void) {}

  request(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.run();
    });
  }
}
