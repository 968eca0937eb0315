package io.roster.client;

/**
 * One endpoint picked for one request. Strategies that count requests in flight (least outstanding)
 * need to hear when it is over: call {@link #done()} (or use try-with-resources). For the other
 * strategies {@code done()} does nothing, so calling it always is the safe habit.
 *
 * <p>Threading: {@code done()} may be called from any thread; calls after the first do nothing.
 */
public interface Pick extends AutoCloseable {

  /** The endpoint to send the request to. */
  ServiceInstance instance();

  /** The request is over (whatever its outcome). */
  void done();

  /** Same as {@link #done()}. */
  @Override
  default void close() {
    done();
  }
}
