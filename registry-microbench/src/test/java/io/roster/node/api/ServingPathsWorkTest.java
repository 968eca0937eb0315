package io.roster.node.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every serving path of {@link ServingPaths} once, in this JVM, for half a second per method: the
 * client checks a decoded Discover answer of 100 instances first, and every call is answered.
 */
@Timeout(120)
class ServingPathsWorkTest {

  @ParameterizedTest
  @CsvSource({"bridge,1", "direct,1", "direct,2", "native,1", "netty,1"})
  void everyPathAnswersBothMethods(String path, int eventLoops) throws Exception {
    try (ServingPathServer.Serving serving = ServingPathServer.start(path, eventLoops, 0)) {
      assertTrue(serving.answerBytes() > 15_000, "answer of " + serving.answerBytes() + " bytes");
      for (String method : new String[] {"discover", "heartbeat"}) {
        Map<String, String> result =
            ServingPathClient.measure(
                Map.of(
                    "port",
                    Integer.toString(serving.port()),
                    "method",
                    method,
                    "threads",
                    "4",
                    "connections",
                    Integer.toString(eventLoops),
                    "warmup-s",
                    "0.2",
                    "measure-s",
                    "0.5"),
                false);

        assertEquals("0", result.get("errors"), result.toString());
        assertTrue(Long.parseLong(result.get("calls")) > 0, result.toString());
      }
    }
  }
}
