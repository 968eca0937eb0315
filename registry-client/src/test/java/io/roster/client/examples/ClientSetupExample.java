package io.roster.client.examples;

import io.roster.client.RosterClient;
import io.roster.client.RosterClientOptions;
import java.nio.file.Path;
import java.time.Duration;

/** Creating a client: the code of docs/client.md, "Create a client". Compiled, not run. */
final class ClientSetupExample {

  private ClientSetupExample() {}

  static RosterClient local() {
    // docs:begin local
    RosterClient roster = RosterClient.create(RosterClientOptions.local().build());
    // docs:end
    return roster;
  }

  static RosterClient production() {
    // docs:begin production
    RosterClientOptions options =
        RosterClientOptions.defaults()
            .nodes("roster-1.internal:7101", "roster-2.internal:7101", "roster-3.internal:7101")
            .namespace("prod")
            .leaseTtl(Duration.ofSeconds(10))
            .drainDelay(Duration.ofSeconds(5))
            .snapshotFile(Path.of("/var/lib/orders/roster-endpoints.bin"))
            .build();
    RosterClient roster = RosterClient.create(options);
    // docs:end
    return roster;
  }

  static RosterClient mutualTls() {
    // docs:begin tls
    RosterClientOptions options =
        RosterClientOptions.defaults()
            .nodes("roster-1.internal:7101", "roster-2.internal:7101", "roster-3.internal:7101")
            .tlsEnabled(true)
            .tlsTrustCertificateFile(Path.of("/etc/roster/ca.pem"))
            .tlsClientCertificate(
                Path.of("/etc/orders/roster-client.pem"), Path.of("/etc/orders/roster-client.key"))
            .build();
    // docs:end
    return RosterClient.create(options);
  }

  static RosterClient token() {
    // docs:begin token
    RosterClientOptions options =
        RosterClientOptions.defaults()
            .nodes("roster-1.internal:7101", "roster-2.internal:7101", "roster-3.internal:7101")
            .tlsEnabled(true)
            .tlsTrustCertificateFile(Path.of("/etc/roster/ca.pem"))
            .tokenFile(Path.of("/etc/orders/roster-token"))
            .build();
    // docs:end
    return RosterClient.create(options);
  }
}
