package io.roster.node.xds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roster.node.domain.InvalidArgumentException;
import io.roster.node.domain.ServiceKey;
import org.junit.jupiter.api.Test;

/** Every service has names that reach it, and each name reaches one service or none. */
class XdsNamesTest {

  @Test
  void aBareNameIsAServiceOfTheDefaultNamespace() {
    assertEquals(new ServiceKey("default", "orders"), XdsNames.parse("orders"));
    assertEquals(new ServiceKey("default", "orders.v2"), XdsNames.parse("orders.v2"));
  }

  @Test
  void theQualifiedNameNamesItsNamespace() {
    assertEquals(
        new ServiceKey("payments", "orders"), XdsNames.parse("orders.service.payments.roster"));
    assertEquals(new ServiceKey("default", "orders"), XdsNames.parse("orders.service.roster"));
    assertEquals(
        new ServiceKey("payments", "orders.v2"),
        XdsNames.parse("orders.v2.service.payments.roster"));
  }

  @Test
  void theCanonicalNameReadsBackAsItsService() {
    for (ServiceKey key :
        new ServiceKey[] {
          new ServiceKey("default", "orders"),
          new ServiceKey("payments", "a.service.roster"),
          new ServiceKey("p-1", "x.service.b.roster")
        }) {
      assertEquals(key, XdsNames.parse(XdsNames.canonical(key)), XdsNames.canonical(key));
    }
  }

  @Test
  void aQualifiedNameIsReadAtItsLastServiceLabel() {
    assertEquals(
        new ServiceKey("default", "a.service.b"), XdsNames.parse("a.service.b.service.roster"));
  }

  @Test
  void malformedNamesAreRefusedSayingWhatNamesLookLike() {
    for (String name :
        new String[] {
          "",
          "ord rs",
          "orders/payments",
          "orders.service.Pay_ments.roster",
          "-orders",
          "x".repeat(XdsNames.MAX_NAME_CHARS + 1),
          "grpc/server?xds.resource.listening_address=0.0.0.0:8080"
        }) {
      InvalidArgumentException refused =
          assertThrows(InvalidArgumentException.class, () -> XdsNames.parse(name), name);
      assertTrue(refused.getMessage().startsWith("resource name: "), refused.getMessage());
    }
    assertTrue(
        assertThrows(InvalidArgumentException.class, () -> XdsNames.parse("ord rs"))
            .getMessage()
            .contains("<service>.service.<namespace>.roster"));
  }
}
