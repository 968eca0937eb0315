package io.roster.client.internal;

import io.roster.client.ServiceEndpoints;
import io.roster.client.ServiceInstance;
import io.roster.v1.ServiceSnapshot;
import io.roster.v1.WatchResponse;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The last endpoints of every followed service, on disk, so a client can start while the registry
 * is down.
 *
 * <p>Format (version 1): the magic "RSTR", the format version, the namespace, the number of
 * services, then per service the wall-clock time a registry node last confirmed it (epoch millis)
 * and its endpoints as a length-prefixed {@code roster.v1.WatchResponse} snapshot, so the instances
 * keep the wire format every Roster client already reads. Written to a temporary file and moved
 * over the old one, so a crash mid-write never leaves half a file.
 *
 * <p>Threading: stateless; concurrent saves to one file must be serialized by the caller.
 */
final class SnapshotFile {

  private static final int MAGIC = 0x52535452; // "RSTR"
  private static final int VERSION = 1;

  /** One saved service. */
  record Saved(ServiceEndpoints endpoints, long confirmedAtMillis) {}

  private SnapshotFile() {}

  static void save(Path file, String namespace, List<Saved> services) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Path temporary = Files.createTempFile(parent, file.getFileName().toString(), ".tmp");
    try {
      try (DataOutputStream out =
          new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(temporary)))) {
        out.writeInt(MAGIC);
        out.writeInt(VERSION);
        out.writeUTF(namespace);
        out.writeInt(services.size());
        for (Saved saved : services) {
          ServiceSnapshot.Builder snapshot = ServiceSnapshot.newBuilder();
          for (ServiceInstance instance : saved.endpoints().instances()) {
            snapshot.addInstances(Protos.toProto(instance));
          }
          byte[] message =
              WatchResponse.newBuilder()
                  .setService(saved.endpoints().service())
                  .setRevision(saved.endpoints().revision())
                  .setSnapshot(snapshot)
                  .build()
                  .toByteArray();
          out.writeLong(saved.confirmedAtMillis());
          out.writeInt(message.length);
          out.write(message);
        }
      }
      Files.move(
          temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(temporary);
    }
  }

  /**
   * The services saved for {@code namespace}; empty when there is no file yet.
   *
   * @throws IOException when the file cannot be read or is not a snapshot file of this version or
   *     namespace
   */
  static List<Saved> load(Path file, String namespace) throws IOException {
    List<Saved> services = new ArrayList<>();
    try (DataInputStream in =
        new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
      if (in.readInt() != MAGIC) {
        throw new IOException(file + " is not a Roster snapshot file");
      }
      int version = in.readInt();
      if (version != VERSION) {
        throw new IOException(file + " has snapshot format " + version + ", not " + VERSION);
      }
      String saved = in.readUTF();
      if (!saved.equals(namespace)) {
        throw new IOException(file + " holds namespace " + saved + ", not " + namespace);
      }
      int count = in.readInt();
      for (int i = 0; i < count; i++) {
        long confirmedAtMillis = in.readLong();
        byte[] message = new byte[in.readInt()];
        in.readFully(message);
        ServiceState state =
            new ServiceState(namespace, WatchResponse.parseFrom(message).getService());
        state.apply(WatchResponse.parseFrom(message));
        services.add(new Saved(state.endpoints(), confirmedAtMillis));
      }
    } catch (NoSuchFileException e) {
      return List.of();
    }
    return services;
  }
}
