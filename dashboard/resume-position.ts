/**
 * The last log position received: a reconnection resumes from it (`?since=`), and an event at or
 * before it (sent again by a feed after a resume or a subscription) is not applied twice.
 */
export class ResumePosition {
  value: number | undefined;

  /**
   * Whether an event at this position is new, moving past it if so. Events without a position
   * (from a detailed answer) are not told apart here.
   */
  advance(position: number | undefined): boolean {
    if (position === undefined) return true;
    if (this.value !== undefined && position <= this.value) return false;
    this.value = position;
    return true;
  }

  /** The server's position after a resync: events from here on are new. */
  resetTo(position: number): void {
    this.value = position;
  }
}
