package io.roster.bench;

import io.grpc.Channel;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.roster.v1.KeepAliveRequest;
import io.roster.v1.KeepAliveResponse;
import io.roster.v1.LeaseState;
import io.roster.v1.RegistryServiceGrpc;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One {@code KeepAlive} stream to one node, with a bound on the heartbeats sent and not yet
 * answered (the window). A full window refuses more sends: that is how a node that cannot keep up
 * slows the bench down instead of the bench queueing without end in its own memory.
 *
 * <p>Threading: {@link #trySend} and {@link #halfClose} may be called from any thread; they take
 * the stream's lock, since grpc-java's request observer is not thread-safe. Answers, readiness and
 * the end of the stream reach the {@link Listener} on the channel's transport thread, one at a time
 * per stream (grpc-java serializes a call's callbacks). {@link #cancel} is safe from any thread (it
 * cancels the call's context).
 */
final class KeepAliveStream {

  /** Hears what happens on the stream. Called one at a time per stream, never under its lock. */
  interface Listener {
    /** An answer arrived; its slot in the window is already free. */
    void onAnswer(KeepAliveStream stream, KeepAliveResponse answer, long receivedNanos);

    /** The stream may take more: flow control says ready, or an answer freed a slot. */
    default void onCapacity(KeepAliveStream stream) {}

    /** The stream ended: OK when the node completed it after our half-close. */
    default void onClosed(KeepAliveStream stream, Status status) {}
  }

  private final String target;
  private final int window;
  private final Listener listener;
  private final Context.CancellableContext context = Context.current().withCancellation();
  private final AtomicInteger unanswered = new AtomicInteger();
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong active = new AtomicLong();
  private final AtomicLong notActive = new AtomicLong();
  private final CountDownLatch closed = new CountDownLatch(1);
  private final Object sendLock = new Object();
  // Guarded by sendLock.
  private ClientCallStreamObserver<KeepAliveRequest> requests;
  // Guarded by sendLock.
  private boolean halfClosed;
  private volatile Status closedWith;

  /**
   * Opens the stream.
   *
   * @param channel to the node
   * @param target the node's address, for messages
   * @param window heartbeats sent and not yet answered, at most
   */
  KeepAliveStream(Channel channel, String target, int window, Listener listener) {
    this.target = target;
    this.window = window;
    this.listener = listener;
    Context previous = context.attach();
    try {
      RegistryServiceGrpc.newStub(channel).keepAlive(new Answers());
    } finally {
      context.detach(previous);
    }
  }

  String target() {
    return target;
  }

  /**
   * Sends one heartbeat if the window has room and the stream is open.
   *
   * @param requireReady also refuse while flow control says the transport is not ready (for senders
   *     that send as fast as they may); false lets gRPC buffer up to the window
   * @return whether it was sent
   */
  boolean trySend(String leaseId, long epoch, boolean requireReady) {
    synchronized (sendLock) {
      if (requests == null || halfClosed || closedWith != null) {
        return false;
      }
      if (unanswered.get() >= window || (requireReady && !requests.isReady())) {
        return false;
      }
      unanswered.incrementAndGet();
      sent.incrementAndGet();
      requests.onNext(KeepAliveRequest.newBuilder().setLeaseId(leaseId).setEpoch(epoch).build());
      return true;
    }
  }

  /** Whether flow control lets more requests out now. */
  boolean isReady() {
    synchronized (sendLock) {
      return requests != null && !halfClosed && closedWith == null && requests.isReady();
    }
  }

  /** Ends our side; the node completes the stream once it answered what it got. */
  void halfClose() {
    synchronized (sendLock) {
      if (requests != null && !halfClosed && closedWith == null) {
        halfClosed = true;
        requests.onCompleted();
      }
    }
  }

  /** Ends the stream at once, answered or not. */
  void cancel() {
    context.cancel(null);
  }

  /** Waits up to {@code millis} for the stream to end; returns whether it did. */
  boolean awaitClosed(long millis) throws InterruptedException {
    return closed.await(millis, TimeUnit.MILLISECONDS);
  }

  /** Null while the stream is open; the final status once it ended. */
  Status closedWith() {
    return closedWith;
  }

  int unanswered() {
    return unanswered.get();
  }

  long sent() {
    return sent.get();
  }

  long active() {
    return active.get();
  }

  long notActive() {
    return notActive.get();
  }

  private final class Answers
      implements ClientResponseObserver<KeepAliveRequest, KeepAliveResponse> {
    @Override
    public void beforeStart(ClientCallStreamObserver<KeepAliveRequest> requestStream) {
      synchronized (sendLock) {
        requests = requestStream;
      }
      requestStream.setOnReadyHandler(() -> listener.onCapacity(KeepAliveStream.this));
    }

    @Override
    public void onNext(KeepAliveResponse answer) {
      long now = System.nanoTime();
      unanswered.decrementAndGet();
      if (answer.getState() == LeaseState.LEASE_STATE_ACTIVE) {
        active.incrementAndGet();
      } else {
        notActive.incrementAndGet();
      }
      listener.onAnswer(KeepAliveStream.this, answer, now);
      listener.onCapacity(KeepAliveStream.this);
    }

    @Override
    public void onError(Throwable error) {
      end(Status.fromThrowable(error));
    }

    @Override
    public void onCompleted() {
      end(Status.OK);
    }

    private void end(Status status) {
      closedWith = status;
      closed.countDown();
      context.cancel(null); // frees the context's listeners; the call has ended anyway
      listener.onClosed(KeepAliveStream.this, status);
    }
  }
}
