package io.roster.node.xds;

import com.google.protobuf.Any;

/**
 * One resource as the node serves it: its name (the one the client asked for), its version and its
 * message, packed once and sent as it is to every stream.
 *
 * @param version the same on every node for the same registry state: derived from the service's
 *     revision and the registry's incarnation, never from this node's own history
 */
public record XdsResource(String name, String version, Any body) {}
