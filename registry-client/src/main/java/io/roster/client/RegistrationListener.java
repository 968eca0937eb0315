package io.roster.client;

/**
 * Told of each change of a {@link Registration}'s state.
 *
 * <p>Threading: called on the client's event thread, one call at a time, in the order the changes
 * happened. Must not block for long: every listener and watch of the client waits meanwhile.
 */
@FunctionalInterface
public interface RegistrationListener {
  /**
   * @param registration the registration that changed
   * @param state its new state
   * @param reason what caused it, for logs (e.g. "keepalive stream to 10.0.0.1:7101 broke")
   */
  void stateChanged(Registration registration, RegistrationState state, String reason);
}
