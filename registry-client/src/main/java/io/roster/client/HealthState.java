package io.roster.client;

/** The registry's view of an instance's health (its heartbeats). */
public enum HealthState {
  /** Not known: an instance not (yet) seen by the registry. */
  UNKNOWN,
  /** Heartbeats arrive: callers may send it traffic. */
  HEALTHY,
  /** Its heartbeats stopped: callers send it nothing (unless a panic threshold says otherwise). */
  UNHEALTHY
}
