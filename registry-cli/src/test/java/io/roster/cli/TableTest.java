package io.roster.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import com.google.protobuf.util.JsonFormat;
import io.roster.v1.ClusterMember;
import io.roster.v1.ClusterStatusResponse;
import io.roster.v1.Instance;
import io.roster.v1.InstanceStatus;
import java.util.List;
import org.junit.jupiter.api.Test;

class TableTest {

  @Test
  void columnsAreAlignedAndEmptyCellsShowADash() {
    Table table = new Table("ID", "ZONE", "NOTE").row("a-long-id", "", "x").row("b", "eu", "y z");

    assertEquals(
        List.of("ID         ZONE  NOTE", "a-long-id  -     x", "b          eu    y z"),
        table.lines());
  }

  @Test
  void anAnswerWithoutATableOfItsOwnListsItsFieldsFlattened() {
    ClusterStatusResponse status =
        ClusterStatusResponse.newBuilder()
            .setClusterName("c1")
            .addMembers(ClusterMember.newBuilder().setId("m1").setLeader(true))
            .addStrangers("10.0.0.9:5701 (lite member)")
            .build();
    Instance instance =
        Instance.newBuilder()
            .setStatus(InstanceStatus.INSTANCE_STATUS_OUT_OF_SERVICE)
            .putMetadata("team", "payments")
            .build();

    List<String> statusLines = Table.ofFields(status).lines();
    List<String> instanceLines = Table.ofFields(instance).lines();

    assertEquals("clusterName               c1", statusLines.get(1));
    assertTrue(statusLines.contains("members[0].id             m1"), statusLines.toString());
    assertTrue(statusLines.contains("members[0].leader         true"), statusLines.toString());
    assertTrue(
        statusLines.contains("strangers                 10.0.0.9:5701 (lite member)"),
        statusLines.toString());
    assertTrue(instanceLines.contains("status      out-of-service"), instanceLines.toString());
    assertTrue(instanceLines.contains("metadata    team=payments"), instanceLines.toString());
    assertFalse(
        instanceLines.stream().anyMatch(line -> line.startsWith("weight")), "unset optional");
  }

  @Test
  void jsonStringsAreEscaped() throws Exception {
    String json = new JsonObject().put("name", "a \"quoted\"\\ line\nand\u0001").toString();
    Struct.Builder parsed = Struct.newBuilder();

    JsonFormat.parser().merge(json, parsed);

    assertEquals(
        "a \"quoted\"\\ line\nand\u0001", parsed.getFieldsOrThrow("name").getStringValue());
  }
}
