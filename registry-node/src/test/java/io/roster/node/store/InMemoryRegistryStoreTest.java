package io.roster.node.store;

import org.junit.jupiter.api.AfterEach;

class InMemoryRegistryStoreTest extends RegistryStoreContract {

  private final InMemoryRegistryStore store = new InMemoryRegistryStore(clock);

  @Override
  protected RegistryStore store() {
    return store;
  }

  @AfterEach
  void close() {
    store.close();
  }
}
