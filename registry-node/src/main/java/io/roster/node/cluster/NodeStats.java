package io.roster.node.cluster;

/**
 * What one node published of itself ({@link NodeStatsBoard}): its operation totals now and at the
 * start of a window a few seconds back, so any node can tell its rates, and its open streams.
 *
 * <p>Stored as a {@code long[]} (no serializer needed): {@code [atMillis, windowStartMillis,
 * streamsOpen, n, totals..., windowStartTotals...]} with n totals each; a reader that knows fewer
 * operations than a newer writer reads the first it knows.
 *
 * @param atMillis when the figures were taken (cluster clock)
 * @param windowStartMillis when the window's first figures were taken (cluster clock)
 * @param streamsOpen Watch and KeepAlive streams open on the node
 * @param totals operations served since the node started, in the order the node counts them
 * @param windowStartTotals the same at {@code windowStartMillis}
 */
public record NodeStats(
    long atMillis,
    long windowStartMillis,
    long streamsOpen,
    long[] totals,
    long[] windowStartTotals) {

  private static final int HEADER = 4;

  /** Operations per second of {@code totals[index]} over the window; 0 without a window. */
  public double perSecond(int index) {
    long windowMillis = atMillis - windowStartMillis;
    if (windowMillis <= 0 || index >= totals.length) {
      return 0;
    }
    return (totals[index] - windowStartTotals[index]) * 1000.0 / windowMillis;
  }

  /** Total of {@code totals[index]}; 0 when the node did not publish it. */
  public long total(int index) {
    return index < totals.length ? totals[index] : 0;
  }

  long[] toArray() {
    int n = totals.length;
    long[] raw = new long[HEADER + 2 * n];
    raw[0] = atMillis;
    raw[1] = windowStartMillis;
    raw[2] = streamsOpen;
    raw[3] = n;
    System.arraycopy(totals, 0, raw, HEADER, n);
    System.arraycopy(windowStartTotals, 0, raw, HEADER + n, n);
    return raw;
  }

  /** The stats {@code raw} holds, or null when it is not of this layout. */
  static NodeStats fromArray(long[] raw) {
    if (raw == null || raw.length < HEADER) {
      return null;
    }
    int n = (int) raw[3];
    if (n < 0 || raw.length != HEADER + 2L * n) {
      return null;
    }
    long[] totals = new long[n];
    long[] start = new long[n];
    System.arraycopy(raw, HEADER, totals, 0, n);
    System.arraycopy(raw, HEADER + n, start, 0, n);
    return new NodeStats(raw[0], raw[1], raw[2], totals, start);
  }
}
