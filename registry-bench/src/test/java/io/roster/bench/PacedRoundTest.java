package io.roster.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PacedRoundTest {
  private static final long INTERVAL = 1_000;

  @Test
  void renewsEachMemberOncePerIntervalInTurn() {
    PacedRound<Integer> round = roundOf(4);
    List<Integer> renewed = new ArrayList<>();

    round.pace(INTERVAL / 2, INTERVAL, renewed::add);
    round.pace(INTERVAL / 2, INTERVAL, renewed::add);
    round.pace(INTERVAL / 4, INTERVAL, renewed::add);

    assertEquals(List.of(0, 1, 2, 3, 0), renewed);
  }

  @Test
  void fallsAtMostOneRoundBehindAfterAStall() {
    PacedRound<Integer> round = roundOf(3);
    List<Integer> renewed = new ArrayList<>();

    round.pace(10 * INTERVAL, INTERVAL, renewed::add);

    assertEquals(List.of(0, 1, 2), renewed);
  }

  @Test
  void aRefusalStopsTheTickAndTheCreditWaits() {
    PacedRound<Integer> round = roundOf(4);
    List<Integer> renewed = new ArrayList<>();

    round.pace(INTERVAL, INTERVAL, member -> member < 2 && renewed.add(member));
    round.pace(0, INTERVAL, renewed::add);

    assertEquals(List.of(0, 1, 2, 3), renewed);
  }

  @Test
  void aFullRoundIsOwedAtOnceAndDroppedCreditIsForgotten() {
    PacedRound<Integer> round = roundOf(3);
    List<Integer> renewed = new ArrayList<>();

    round.oweFullRound();
    round.pace(0, INTERVAL, renewed::add);
    round.pace(INTERVAL / 2, INTERVAL, member -> false);
    round.dropCredit();
    round.pace(0, INTERVAL, renewed::add);

    assertEquals(List.of(0, 1, 2), renewed);
  }

  private static PacedRound<Integer> roundOf(int members) {
    PacedRound<Integer> round = new PacedRound<>();
    for (int i = 0; i < members; i++) {
      round.add(i);
    }
    return round;
  }
}
