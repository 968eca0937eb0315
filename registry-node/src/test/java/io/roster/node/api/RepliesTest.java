package io.roster.node.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RepliesTest {

  @Test
  void anAnswerThatCannotBeWrittenFailsTheCallWithInternal() {
    List<Status> failures = new ArrayList<>();
    StreamObserver<String> observer =
        new StreamObserver<>() {
          @Override
          public void onNext(String value) {
            throw new IllegalArgumentException("cannot encode " + value);
          }

          @Override
          public void onError(Throwable t) {
            failures.add(Status.fromThrowable(t));
          }

          @Override
          public void onCompleted() {}
        };

    Replies.answer(observer, "x");

    assertEquals(1, failures.size());
    assertEquals(Status.Code.INTERNAL, failures.get(0).getCode());
  }
}
