package io.roster.node.api.http;

/** A request the HTTP layer refuses before any service sees it; the message says what to fix. */
final class BadRequestException extends Exception {

  BadRequestException(String message) {
    super(message);
  }
}
