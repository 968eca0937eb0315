package io.roster.node.api;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Answers calls on the Vert.x context that received them. Store calls complete on Hazelcast
 * threads; every write to a call's stream goes back to the call's own event loop, so writes to one
 * stream never race and no lock is needed.
 */
final class Replies {

  private Replies() {}

  /**
   * Runs {@code call} (which may throw on bad input) and answers with its mapped result, or with
   * the status its failure maps to, logged with what the call was {@code about}.
   */
  static <T, R> void unary(
      String method,
      RequestLog.About about,
      StreamObserver<R> observer,
      Supplier<CompletionStage<T>> call,
      Function<T, R> toResponse) {
    Context context = Vertx.currentContext();
    ClientGone client = ClientGone.current();
    CompletionStage<T> stage;
    try {
      stage = call.get();
    } catch (RuntimeException e) {
      fail(observer, GrpcErrors.toStatus(method, e, about));
      return;
    }
    stage.whenComplete(
        (result, failure) ->
            onContext(
                context,
                () -> {
                  if (client.isGone()) {
                    // Its stream is closed: an answer would only be queued behind the closed
                    // stream and dropped with an error (see ClientGone).
                    return;
                  }
                  if (failure != null) {
                    fail(observer, GrpcErrors.toStatus(method, failure, about));
                    return;
                  }
                  R response;
                  try {
                    response = toResponse.apply(result);
                  } catch (RuntimeException e) {
                    fail(observer, GrpcErrors.toStatus(method, e, about));
                    return;
                  }
                  answer(observer, response);
                }));
  }

  /**
   * Answers a unary call, unless the caller has gone (cancelled, or its deadline passed): writing
   * to a call that is over would only raise an error on the event loop. An answer that cannot be
   * written (it fails to encode: a bug) fails the call with INTERNAL instead: answers are often
   * written from a store callback, outside the call's own guard ({@link CallGuard}), where a throw
   * would reach no one.
   */
  static <R> void answer(StreamObserver<R> observer, R response) {
    if (cancelled(observer)) {
      return;
    }
    try {
      observer.onNext(response);
      observer.onCompleted();
    } catch (IllegalStateException | NullPointerException callAlreadyOver) {
      // The caller went away between the check and the write; nobody is left to answer. Vert.x
      // 5.0.7 throws a NullPointerException (VertxHttp2Stream$3.cancel) when trailers are written
      // to a stream that just closed (see StreamErrorGuard).
    } catch (RuntimeException e) {
      fail(observer, GrpcErrors.toStatus("writing an answer", e));
    }
  }

  /** Fails a call with {@code status}, unless the caller has gone. */
  static void fail(StreamObserver<?> observer, Throwable status) {
    if (cancelled(observer)) {
      return;
    }
    try {
      observer.onError(status);
    } catch (RuntimeException callAlreadyOver) {
      // As above.
    }
  }

  private static boolean cancelled(StreamObserver<?> observer) {
    return ClientGone.current().isGone()
        || observer instanceof ServerCallStreamObserver<?> call && call.isCancelled();
  }

  /**
   * Runs {@code action} on {@code context} ({@link ContextTasks}: in order, one wake-up for a
   * burst), or here when the call came from outside Vert.x.
   */
  static void onContext(Context context, Runnable action) {
    if (context == null) {
      action.run();
    } else {
      ContextTasks.of(context).add(action);
    }
  }
}
