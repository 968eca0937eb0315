package io.roster.cli;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Carries the callbacks of a command's streams, and its stop request, to the command's own thread,
 * so that all the state of a streaming command (lease, current stream, backoff) lives on one thread
 * and needs no lock.
 *
 * <p>Threading: observers are called on gRPC threads and only enqueue; {@link #next} is called by
 * the command's thread alone. Streams are numbered so that a late callback of a stream that was
 * already replaced can be told apart and ignored.
 *
 * @param <T> the message type the streams receive
 */
final class StreamEvents<T> {

  /** Something the command's thread must react to. */
  sealed interface Event<T> permits Message, Ended, Stopped {}

  /** A message received on stream number {@code stream}. */
  record Message<T>(int stream, T value) implements Event<T> {}

  /** Stream number {@code stream} ended: OK when the server completed it, its error otherwise. */
  record Ended<T>(int stream, Status status) implements Event<T> {}

  /** A stop was requested (SIGINT/SIGTERM). */
  record Stopped<T>() implements Event<T> {}

  private final BlockingQueue<Event<T>> queue = new LinkedBlockingQueue<>();

  StreamEvents(StopSignal stop) {
    stop.onStop(() -> queue.add(new Stopped<>()));
  }

  /** The observer to give to the stub for stream number {@code stream}. */
  StreamObserver<T> observer(int stream) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        queue.add(new Message<>(stream, value));
      }

      @Override
      public void onError(Throwable t) {
        queue.add(new Ended<>(stream, Status.fromThrowable(t)));
      }

      @Override
      public void onCompleted() {
        queue.add(new Ended<>(stream, Status.OK));
      }
    };
  }

  /** The next event, or null when none came within {@code timeoutNanos}. */
  Event<T> next(long timeoutNanos) throws InterruptedException {
    return queue.poll(Math.max(0, timeoutNanos), TimeUnit.NANOSECONDS);
  }
}
